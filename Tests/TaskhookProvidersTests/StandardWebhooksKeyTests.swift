import TaskhookCore
import Testing

@testable import TaskhookProviders

@Suite struct StandardWebhooksKeyTests {
    @Test func aWhsecSecretIsAnHMACKeyOfItsDecodedBytes() throws {
        #expect(
            Hex.encode(try StandardWebhooksKey.secretBytes(Fixtures.VectorA.secret))
                == "31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0")
        #expect(
            Hex.encode(try StandardWebhooksKey.secretBytes(Fixtures.VectorB.secret))
                == "0b6155b0140886bb1c0a195020c57e6f9b1262ca686fba03")
        #expect(try StandardWebhooksKey(parsing: Fixtures.VectorA.secret).version == "v1")
    }

    @Test func aWhpkKeyIsAnEd25519PublicKey() throws {
        #expect(try StandardWebhooksKey(parsing: Fixtures.Ed25519Keys.test1Whpk).version == "v1a")
    }

    @Test(arguments: [
        ("", "the webhook secret is empty"),
        ("whsec_", "the webhook secret is empty"),
        ("whsec_not base64!", "the webhook secret is not base64 (expected whsec_ followed by base64)"),
        ("whsec_=", "the webhook secret is not base64 (expected whsec_ followed by base64)"),
        ("whpk_???", "the whpk_ public key is not base64 after its prefix"),
        ("whpk_QUJD", "the whpk_ public key decodes to 3 bytes; an Ed25519 public key is 32"),
        ("whsk_QUJD", "a whsk_ key is the sender's private signing key; configure its whpk_ public key instead"),
    ])
    func unusableKeysAreRefusedWithoutRepeatingThem(text: String, reason: String) {
        #expect(throws: ProviderConfigurationError(reason)) { try StandardWebhooksKey(parsing: text) }
    }
}
