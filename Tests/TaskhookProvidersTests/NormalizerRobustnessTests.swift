import TaskhookCore
import TestSupport
import Testing

@testable import TaskhookProviders

/// Normalizers take whatever an authentic sender wrote; no input may crash one.
@Suite struct NormalizerRobustnessTests {
    static let normalizers: [any PayloadNormalizer] = [
        FreepikProfile(), FalProfile(), KlingProfile(), ReplicateProfile(),
        StandardWebhooksProfile(
            name: "acme", taskID: try! JSONPointer("/id"), status: try! JSONPointer("/status"),
            results: try! JSONPointer("/out"), statusMap: ["done": .completed]),
    ]

    @Test func everyProperPrefixOfAValidBodyIsUnparsed() {
        for body in [Fixtures.Freepik.body, Fixtures.Fal.body, KlingNormalizerTests.succeeded] {
            let bytes = Array(body.utf8)
            for length in 0..<bytes.count {
                let callback = Callback(headers: [], body: Array(bytes[..<length]), receivedAt: 0)
                for normalizer in Self.normalizers {
                    guard case .unparsed = normalizer.normalize(callback) else {
                        Issue.record("a \(length)-byte prefix was understood by \(type(of: normalizer))")
                        return
                    }
                }
            }
        }
    }

    @Test func randomBytesAndMutatedBodiesNeverCrash() {
        var generator = SplitMix64(seed: 0x7461_736B_686F_6F6B)
        let seeds = [Fixtures.Freepik.body, Fixtures.Fal.body, KlingNormalizerTests.succeeded].map { Array($0.utf8) }
        for round in 0..<2000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                bytes = seeds[round % seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            }
            for normalizer in Self.normalizers {
                _ = normalizer.normalize(Callback(headers: [], body: bytes, receivedAt: 0))
            }
        }
    }
}
