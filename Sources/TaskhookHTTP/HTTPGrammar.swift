/// Character classes of RFC 9110/9112, on bytes.
enum HTTPGrammar {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// field-vchar / SP / HTAB, with obs-text allowed: no NUL, CR, LF, other controls or DEL.
    @inline(__always)
    static func isFieldValueChar(_ b: UInt8) -> Bool {
        b == htab || (b >= 0x20 && b != 0x7F)
    }

    /// Characters a request-target may contain (RFC 3986 unreserved, reserved and '%').
    @inline(__always)
    static func isTargetChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),  // unreserved
            UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: "@"),  // gen-delims but '#'
            UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="),  // sub-delims
            UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt64? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// ASCII lower-casing for field names and codings.
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
    }

    @inline(__always)
    static func upper(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") ? b & ~0x20 : b
    }

    /// Whether `bytes` spell `text` exactly (a lower-cased field name against a known one).
    static func equals(_ bytes: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        var i = bytes.startIndex
        for k in 0..<text.utf8CodeUnitCount {
            guard bytes[i] == text.utf8Start[k] else { return false }
            i += 1
        }
        return true
    }

    /// Whether `bytes` equal `text` ignoring ASCII case, without allocating.
    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
        equalsIgnoringCase(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Whether `bytes` equal `text` ignoring ASCII case, without allocating.
    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == text.count else { return false }
        var i = bytes.startIndex
        for byte in text {
            guard lower(bytes[i]) == lower(byte) else { return false }
            i += 1
        }
        return true
    }

    /// Splits a list-valued field (`#element`) on commas, trimming OWS; empty elements are kept
    /// so callers decide whether they are allowed.
    static func listElements(_ value: String) -> [Substring] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { element in
            var trimmed = element
            while let first = trimmed.first, first == " " || first == "\t" { trimmed = trimmed.dropFirst() }
            while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
            return trimmed
        }
    }

    /// Host = uri-host [ ":" port ], where uri-host is an IP-literal or a reg-name/IPv4 address.
    static func isValidHost(_ value: String) -> Bool { isValidHost(Array(value.utf8)[...]) }

    /// Host = uri-host [ ":" port ], where uri-host is an IP-literal or a reg-name/IPv4 address.
    static func isValidHost(_ bytes: ArraySlice<UInt8>) -> Bool {
        if bytes.isEmpty { return true }  // allowed when the target URI has no authority
        var hostEnd = bytes.endIndex
        if bytes[bytes.startIndex] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let inner = bytes[(bytes.startIndex + 1)..<close]
            guard !inner.isEmpty,
                inner.allSatisfy({ hexValue($0) != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return false }
            hostEnd = close + 1
        } else {
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) { hostEnd = colon }
            var i = bytes.startIndex
            while i < hostEnd {
                let b = bytes[i]
                if b == UInt8(ascii: "%") {
                    guard i + 2 < hostEnd, hexValue(bytes[i + 1]) != nil, hexValue(bytes[i + 2]) != nil else {
                        return false
                    }
                    i += 3
                    continue
                }
                guard isRegNameChar(b) else { return false }
                i += 1
            }
        }
        if hostEnd < bytes.endIndex {
            guard bytes[hostEnd] == UInt8(ascii: ":") else { return false }
            let port = bytes[(hostEnd + 1)...]
            guard port.count <= 5, port.allSatisfy(isDigit) else { return false }
        }
        return true
    }

    /// unreserved / sub-delims (RFC 3986), the characters of a reg-name besides pct-encoded.
    @inline(__always)
    private static func isRegNameChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"),
            UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
