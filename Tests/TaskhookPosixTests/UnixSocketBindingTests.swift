import Glibc
import TestSupport
import Testing

@testable import TaskhookPosix

/// Issue 14, item 6: binding a Unix socket never takes another process's live socket, never
/// removes what is not a socket, and never exposes the file with another mode.
@Suite struct UnixSocketBindingTests {
    let directory = DaemonProcess.temporaryDirectory()

    func mode(_ path: String) -> UInt32 {
        var status = stat()
        return lstat(path, &status) == 0 ? UInt32(status.st_mode & 0o7777) : 0
    }

    @Test func aSocketSomeoneListensOnIsRefusedAndLeftServing() throws {
        let path = directory + "/live.sock"
        let first = try ListeningSocket(binding: .unix(path: path))
        defer { first.close() }
        #expect(throws: SyscallError.self) { _ = try ListeningSocket(bindingUnix: path, mode: 0o660) }
        do {
            _ = try ListeningSocket(binding: .unix(path: path))
            Issue.record("a second bind took the live socket")
        } catch {
            #expect(error.errno == .addressInUse)
            #expect(error.description.contains("another process is listening"))
        }
        // The first listener still gets its clients through the path.
        let client = try StreamSocket.connect(to: .unix(path: path), timeout: .seconds(2))
        defer { client.close() }
        let accepted = try StreamSocketTests.accept(first)
        #expect(accepted != nil)
        accepted?.close()
    }

    @Test func aStaleSocketFileNobodyListensOnIsReplaced() throws {
        let path = directory + "/stale.sock"
        let gone = try ListeningSocket(binding: .unix(path: path))
        gone.descriptor.close()  // a crashed process: the file stays, nobody listens
        #expect(mode(path) != 0)
        let again = try ListeningSocket(bindingUnix: path, mode: 0o600)
        defer { again.close() }
        let client = try StreamSocket.connect(to: .unix(path: path), timeout: .seconds(2))
        client.close()
    }

    @Test func aPathHoldingAnythingButASocketIsNeverRemoved() throws {
        let path = directory + "/not-a-socket"
        #expect(FileManagerless.write("keep me", to: path))
        do {
            _ = try ListeningSocket(binding: .unix(path: path))
            Issue.record("bound over a regular file")
        } catch {
            #expect(error.errno == .fileExists)
        }
        #expect(FileManagerless.read(path) == "keep me")
    }

    @Test(arguments: [UInt32(0o660), 0o600, 0o666])
    func theSocketFileHasExactlyItsModeWhateverTheUmask(wanted: UInt32) throws {
        let path = directory + "/mode-\(String(wanted, radix: 8)).sock"
        // The shipped unit's UMask would strip the group's write bit from a plain bind.
        let old = umask(0o027)
        defer { umask(old) }
        let socket = try ListeningSocket(bindingUnix: path, mode: wanted)
        defer { socket.close() }
        #expect(mode(path) == wanted)
    }
}

/// Small file helpers without Foundation's FileManager (this target links no Foundation).
enum FileManagerless {
    static func write(_ text: String, to path: String) -> Bool {
        guard let file = fopen(path, "w") else { return false }
        defer { fclose(file) }
        return fputs(text, file) >= 0
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = fread(&buffer, 1, 256, file)
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
