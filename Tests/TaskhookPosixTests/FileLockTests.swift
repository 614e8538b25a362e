import Foundation
import Glibc
import TestSupport
import Testing

@testable import TaskhookPosix

@Suite struct FileLockTests {
    /// The descriptor this process has open on `path` (as a forked child would hold a copy).
    static func descriptor(on path: String) -> Int32? {
        let links = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return links.compactMap(Int32.init).first {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
        }
    }

    @Test func theLockIsOnesAtATimeAndFreeOnceItsValueIsGoneEvenIfACopyOfItsDescriptorLives() throws {
        let directory = DaemonProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/runner.lock"
        var held = try FileLock(path: path)
        #expect(held != nil)
        #expect(try FileLock(path: path) == nil)
        // What a child forked now would hold until its exec: the same open file description.
        let copy = try #require(Self.descriptor(on: path).map { dup($0) })
        defer { close(copy) }
        held = nil
        #expect(try FileLock(path: path) != nil)
    }
}
