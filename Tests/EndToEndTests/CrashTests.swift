import Foundation
import Glibc
import TaskhookPosix
import TestSupport
import Testing

/// SIGKILL at random moments while 32 connections deliver 5,000 uniquely identified callbacks,
/// each retried until answered, as a provider would. Afterwards every delivery that got a 2xx
/// is in the journal exactly once, the journal verifies clean, and the restarted daemon's task
/// table holds exactly the tasks the journal holds.
@Suite struct CrashTests {
    static let deliveries = 5000
    static let connections = 32

    @Test(.timeLimit(.minutes(3)))
    func killedAtRandomMomentsNothingAcknowledgedIsLostOrDuplicated() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try unsignedFreepikConfig(directory)
        let arguments = ["--config", config, "--journal-dir", directory + "/journal"]
        let first = try DaemonProcess(arguments: arguments)
        let listen = first.address.description
        let daemon = Locked<DaemonProcess?>(first)
        let acknowledged = Locked<Set<Int>>([])
        let next = Locked(0)

        var workers: [TestSupport.Thread] = []
        for _ in 0..<Self.connections {
            let worker = TestSupport.Thread {
                var client: TestClient?
                while true {
                    let id = next.withLock { value -> Int in
                        defer { value += 1 }
                        return value
                    }
                    guard id < Self.deliveries else { return }
                    // Retry until a 2xx, reconnecting through restarts.
                    let deadline = Instant.now() + .seconds(60)
                    while Instant.now() < deadline {
                        do {
                            if client == nil {
                                client = try TestClient(try SocketAddress(parsing: listen))
                            }
                            try client!.send(freepikCallback(id: id))
                            let response = try client!.readResponse(timeout: .seconds(5))
                            if (200..<300).contains(response.status) {
                                acknowledged.withLock { _ = $0.insert(id) }
                                break
                            }
                        } catch {
                            client?.close()
                            client = nil
                            usleep(20_000)
                        }
                    }
                }
            }
            worker.start()
            workers.append(worker)
        }

        // Kill at random moments spread over the run, restarting each time.
        var kills = 0
        var rng = SystemRandomNumberGenerator()
        for fraction in [0.08, 0.2, 0.35, 0.5, 0.65, 0.8] {
            while acknowledged.value.count < Int(Double(Self.deliveries) * fraction) { usleep(1000) }
            usleep(UInt32.random(in: 0..<30_000, using: &rng))
            daemon.value?.signal(SIGKILL)
            _ = daemon.value?.waitForExit()
            kills += 1
            daemon.withLock { $0 = nil }
            daemon.withLock { $0 = try? DaemonProcess(arguments: arguments, listen: listen) }
            #expect(daemon.value != nil, "the daemon did not restart after kill \(kills)")
        }
        for worker in workers { worker.join() }
        #expect(kills >= 5)
        #expect(acknowledged.value.count == Self.deliveries)

        // Stop cleanly, then look at the journal offline.
        daemon.value?.signal(SIGTERM)
        #expect(daemon.value?.waitForExit() == 0)
        let journal = directory + "/journal"
        let verify = try DaemonProcess.runCLI(["journal", "verify", "--dir", journal])
        #expect(verify.status == 0, "verify: \(verify.output) \(verify.error)")
        let ids = try dump(journal).filter { $0["kind"] as? String == "delivery" }.compactMap {
            $0["delivery_id"] as? String
        }
        var counts: [String: Int] = [:]
        for id in ids { counts[id, default: 0] += 1 }
        #expect(
            counts.values.allSatisfy { $0 == 1 },
            "duplicated: \(counts.filter { $0.value > 1 }.keys.sorted().prefix(5))")
        let missing = acknowledged.value.filter { counts["msg_\($0)"] == nil }
        #expect(missing.isEmpty, "acknowledged but not in the journal: \(missing.sorted().prefix(10))")

        // A restart rebuilds the same table the journal describes.
        let restarted = try DaemonProcess(arguments: arguments, listen: listen)
        #expect(restarted.log.contains("tasks=\(counts.count)"), "\(restarted.log)")
    }
}
