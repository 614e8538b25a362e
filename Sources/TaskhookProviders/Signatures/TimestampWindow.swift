import TaskhookCore

/// The replay window around a callback's arrival: a signed timestamp (integer Unix seconds) is accepted
/// when it is at most `toleranceSeconds` older or newer than `Callback.receivedAt`.
struct TimestampWindow: Sendable {
    var toleranceSeconds: Int64

    init(toleranceSeconds: Int64) {
        self.toleranceSeconds = max(0, toleranceSeconds)
    }

    /// nil when `value`, the text of the header named `header`, is inside the window.
    func check(_ value: String, header: String, now: Int64) -> VerificationFailure? {
        let seconds: Int64
        switch Self.parse(value) {
        case .seconds(let parsed): seconds = parsed
        case .empty: return VerificationFailure("\(header) is empty")
        case .negative: return VerificationFailure("\(header) is negative (\(value.quotedForReason))")
        case .tooLong: return VerificationFailure("\(header) has too many digits to be Unix seconds")
        case .notInteger: return VerificationFailure("\(header) is not an integer (\(value.quotedForReason))")
        }

        let (age, overflow) = now.subtractingReportingOverflow(seconds)
        if !overflow && age.magnitude <= toleranceSeconds.magnitude { return nil }
        var reason =
            if overflow {
                "\(header) is \(seconds), too far from now (\(now))"
            } else if age > 0 {
                "\(header) is \(age) s old"
            } else {
                "\(header) is \(-age) s in the future"
            }
        reason += "; tolerance is \(toleranceSeconds) s"
        let (ageIfMilliseconds, overflowIfMilliseconds) = now.subtractingReportingOverflow(seconds / 1000)
        if !overflowIfMilliseconds && ageIfMilliseconds.magnitude <= toleranceSeconds.magnitude {
            reason += " (it looks like milliseconds, not seconds)"
        }
        return VerificationFailure(reason)
    }

    private enum Parsed {
        case seconds(Int64)
        case empty
        case negative
        case tooLong
        case notInteger
    }

    /// Plain decimal digits only: no sign, fraction, exponent or spaces, as Standard Webhooks and fal send.
    private static func parse(_ text: String) -> Parsed {
        let utf8 = text.utf8
        if utf8.isEmpty { return .empty }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if utf8.first == UInt8(ascii: "-") && utf8.count > 1 && utf8.dropFirst().allSatisfy(isDigit) {
            return .negative
        }
        guard utf8.allSatisfy(isDigit) else { return .notInteger }
        guard utf8.count <= 18 else { return .tooLong }
        // 18 digits at most: the sum cannot overflow an Int64.
        return .seconds(utf8.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) })
    }
}
