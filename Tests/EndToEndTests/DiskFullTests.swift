import Foundation
import Glibc
import TestSupport
import Testing

/// Whether this machine lets the tests mount a tmpfs (root with CAP_SYS_ADMIN): the disk-full
/// test needs a filesystem it can fill without filling the real disk.
func canMountTmpfs() -> Bool {
    let probe = DaemonProcess.temporaryDirectory()
    defer { rmdir(probe) }
    guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
    umount(probe)
    return true
}

@Suite struct DiskFullTests {
    @Test(.enabled(if: canMountTmpfs(), "needs root with CAP_SYS_ADMIN to mount a small tmpfs for the journal"))
    func aFullDiskGets503WithoutCorruptionAndAppendsResumeWhenSpaceReturns() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let disk = directory + "/disk"
        mkdir(disk, 0o700)
        #expect(mount("tmpfs", disk, "tmpfs", 0, "size=512k") == 0)
        defer { umount2(disk, Int32(MNT_DETACH)) }
        // Most of the space taken by a file the test can remove later.
        let filler = disk + "/filler"
        try Data(count: 400 * 1024).write(to: URL(fileURLWithPath: filler))
        let config = try unsignedFreepikConfig(directory)
        let journal = disk + "/journal"
        let daemon = try DaemonProcess(arguments: ["--config", config, "--journal-dir", journal])
        let client = try TestClient(daemon.address)

        var accepted: [Int] = []
        var refused: TestResponse?
        for id in 0..<2000 {
            try client.send(freepikCallback(id: id))
            let response = try client.readResponse()
            if response.status == 200 {
                accepted.append(id)
            } else {
                refused = response
                break
            }
        }
        #expect(refused?.status == 503)
        #expect(refused?.header("Retry-After") != nil)
        #expect(!accepted.isEmpty)
        #expect(daemon.waitForLog("journal append failed"))
        // Still serving while full, and the journal on the full disk is intact.
        #expect(try healthCheck(daemon.address) == 200)
        let whileFull = try DaemonProcess.runCLI(["journal", "verify", "--dir", journal])
        #expect(whileFull.status == 0, "\(whileFull.output)")
        // Another attempt while full is refused again, not half-written.
        try client.send(freepikCallback(id: 9_999))
        #expect(try client.readResponse().status == 503)

        unlink(filler)
        try client.send(freepikCallback(id: 10_000))
        #expect(try client.readResponse().status == 200)
        accepted.append(10_000)

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        let ids = try dump(journal).filter { $0["kind"] as? String == "delivery" }.compactMap {
            $0["delivery_id"] as? String
        }
        #expect(ids == accepted.map { "msg_\($0)" })
        #expect(try DaemonProcess.runCLI(["journal", "verify", "--dir", journal]).status == 0)
    }
}
