// libFuzzer harness for signature-header parsing: the Standard Webhooks (Freepik, Replicate,
// standard-webhooks routes) and fal verifiers fed arbitrary header values. Built and run by
// fuzz/run.sh (see ParserFuzzer.swift).
//
// Input: one control byte, then fields separated by a newline byte: id, timestamp, signature,
// fal's user id, then the body (the rest).
//   byte 0, bit 0   sign the body properly and put the fuzzed signature text before the valid
//                   entry (Standard Webhooks) or use the valid fal headers with fuzzed extras
//
// What is checked (a violation traps, which libFuzzer reports as a crash):
//   - no verifier crashes on any header text;
//   - fuzzed signatures never verify (forging one by chance is not possible);
//   - a properly signed callback verifies whatever other entries precede the valid one, as long
//     as there are not more than the verifier accepts.

import Crypto
import TaskhookCore
import TaskhookProviders

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

private let secret = "whsec_ZnV6ei1zZWNyZXQtZm9yLXRoZS1zaWduYXR1cmUtaGFybmVzcw=="
private let standard = try! StandardWebhooksVerifier(secrets: [secret])
private let freepik = try! FreepikVerifier(secrets: [secret])
private let falKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
private let fal = FalVerifier(keys: [falKey.publicKey])
private let now: Int64 = 1_700_000_000

private func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let fields = Array(input[1...]).split(separator: 0x0A, maxSplits: 4, omittingEmptySubsequences: false)
    func field(_ index: Int) -> ArraySlice<UInt8> { index < fields.count ? fields[index] : [] }
    let (id, timestamp, signature, userID) = (text(field(0)), text(field(1)), text(field(2)), text(field(3)))
    let body = Array(field(4))

    if input[0] & 1 == 0 {
        // Everything fuzzed; the timestamp is made current when it is a number, so the
        // signature itself is reached.
        let receivedAt = Int64(timestamp) ?? now
        let callback = Callback(
            headers: [
                .init(name: "webhook-id", value: id), .init(name: "webhook-timestamp", value: timestamp),
                .init(name: "webhook-signature", value: signature),
                .init(name: "x-fal-webhook-request-id", value: id), .init(name: "x-fal-webhook-user-id", value: userID),
                .init(name: "x-fal-webhook-timestamp", value: timestamp),
                .init(name: "x-fal-webhook-signature", value: signature),
            ], body: body, receivedAt: receivedAt)
        check(standard.verify(callback) != nil, "a fuzzed Standard Webhooks signature verified")
        check(freepik.verify(callback) != nil, "a fuzzed Freepik signature verified")
        check(fal.verify(callback) != nil, "a fuzzed fal signature verified")
        return 0
    }

    // A valid signature with fuzzed entries before it.
    let deliveryID = id.isEmpty ? "msg_1" : id
    let headers: [Delivery.Header]
    do {
        headers = try FreepikProfile().sign(
            body, taskID: "t", deliveryID: deliveryID, timestamp: now, with: .secret(secret))
    } catch {
        fatalError("signing failed: \(error)")
    }
    // Entries are separated by the space byte, as the verifier (and the header's grammar) has
    // them. Not by Character: a space followed by a combining mark or a ZWJ is one Character,
    // so splitting the String would count fewer entries than the header has (that oracle
    // reported "a valid signature after 15 others did not verify" for a header of 17).
    let others = signature.utf8.split(separator: UInt8(ascii: " "))
        .prefix(StandardWebhooksVerifier.maximumSignatureEntries - 1).map { Substring($0) }
    let signed = headers.map { header -> Delivery.Header in
        guard header.name == "webhook-signature" else { return header }
        return .init(name: header.name, value: (others + [Substring(header.value)]).joined(separator: " "))
    }
    let callback = Callback(headers: signed, body: body, receivedAt: now)
    check(standard.verify(callback) == nil, "a valid signature after \(others.count) others did not verify")
    check(freepik.verify(callback) == nil, "a valid Freepik signature after \(others.count) others did not verify")
    return 0
}
