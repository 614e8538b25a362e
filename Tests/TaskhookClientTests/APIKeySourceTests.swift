import Foundation
import TaskhookClient
import TestSupport
import Testing

@Suite struct APIKeySourceTests {
    func directory(_ files: [String: String]) throws -> String {
        let path = DaemonProcess.temporaryDirectory()
        for (name, text) in files { try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8) }
        return path
    }

    @Test func aKeyFileComesFirstThenTheCredentialThenTheEnvironment() throws {
        let keys = try directory(["fal-key": "from-dir\n"])
        let credentials = try directory(["fal-key": "from-credential", "freepik-api-key": "fp-credential\r\n"])
        defer {
            try? FileManager.default.removeItem(atPath: keys)
            try? FileManager.default.removeItem(atPath: credentials)
        }
        let environment = ["CREDENTIALS_DIRECTORY": credentials, "FAL_KEY": "env", "KLING_SECRET_KEY": "ks"]
        let source = APIKeySource(keyDirectory: keys, environment: environment)
        #expect(try source.read("fal-key") == "from-dir")
        #expect(try source.read("freepik-api-key") == "fp-credential")
        #expect(try source.read("kling-secret-key") == "ks")
    }

    @Test func aMissingKeyNamesEveryPlaceLookedIn() throws {
        let source = APIKeySource(keyDirectory: "/nonexistent", environment: [:])
        #expect(throws: APIKeySource.Missing.self) { try source.read("kling-access-key") }
        do {
            _ = try source.read("kling-access-key")
        } catch {
            #expect(
                error.description == "no kling-access-key: looked in /nonexistent/kling-access-key, $KLING_ACCESS_KEY")
        }
    }

    @Test func anEmptyKeyIsAnErrorNotAnEmptyPassword() throws {
        let keys = try directory(["fal-key": "\n"])
        defer { try? FileManager.default.removeItem(atPath: keys) }
        #expect(throws: APIKeySource.Missing.self) {
            try APIKeySource(keyDirectory: keys, environment: [:]).read("fal-key")
        }
    }
}
