// libFuzzer harness for the JSON parser and every provider's normalizer: what an authentic but
// hostile body meets. Built and run by fuzz/run.sh (see ParserFuzzer.swift).
//
// Input: one control byte, then a callback body.
//   byte 0, bit 0   wrap the body as {"data": <body>} (the wrapped form every provider accepts)
//
// What is checked (a violation traps, which libFuzzer reports as a crash):
//   - the parser never crashes; what it accepts writes back to text that parses to the same value;
//   - every profile's normalizer never crashes, gives the same answer twice, and the events it
//     finds name its provider and a task id.

import TaskhookCore
import TaskhookProviders

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

private let profiles: [any ProviderProfile] = ProviderProfiles.all.map { $0.init() }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var body = Array(input[1...])
    if input[0] & 1 == 1 { body = Array("{\"data\": ".utf8) + body + Array("}".utf8) }

    if let value = try? JSON.parse(body) {
        let text = value.text
        do {
            let again = try JSON.parse(Array(text.utf8))
            check(again == value, "the written text parses to something else: \(text)")
        } catch {
            fatalError("the written text does not parse (\(error)): \(text)")
        }
    }

    let callback = Callback(headers: [], body: body, receivedAt: 1_700_000_000)
    for profile in profiles {
        let first = profile.normalize(callback)
        check(first == profile.normalize(callback), "\(type(of: profile).name) answers differently twice")
        if case .events(let events, _) = first {
            for event in events {
                check(
                    event.provider == profile.eventProvider, "event of \(event.provider) from \(type(of: profile).name)"
                )
                check(!event.taskID.isEmpty, "\(type(of: profile).name) found an event without a task id")
            }
        }
    }
    return 0
}
