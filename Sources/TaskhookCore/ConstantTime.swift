/// Comparing secrets (route tokens, the admin token, signatures) in time that does not depend on
/// where they first differ, so a client cannot find a token byte by byte. Inlinable, so that each
/// caller gets it specialized for its collection (a signature check's digest bytes included).
public enum ConstantTime {
    @inlinable
    public static func equal(_ given: some Collection<UInt8>, _ secret: [UInt8]) -> Bool {
        var difference = UInt8(given.count == secret.count ? 0 : 1)
        var index = given.startIndex
        for byte in secret {
            let other: UInt8
            if index != given.endIndex {
                other = given[index]
                index = given.index(after: index)
            } else {
                other = 0
            }
            difference |= byte ^ other
        }
        return difference == 0
    }
}
