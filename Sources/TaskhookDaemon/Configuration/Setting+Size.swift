import TaskhookProviders

extension Setting {
    /// `1048576`, `64KiB`, `1MiB`, `2GiB` (also KB/MB/GB as powers of 1000).
    func requireSize() throws(ConfigError) -> Int {
        guard let text = string, let parsed = Self.size(text) else {
            throw error("expected a size such as 16KiB, 1MiB or a number of bytes")
        }
        return parsed
    }

    static func size(_ text: String) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let count = Int(digits) else { return nil }
        let units: [Substring: Int] = [
            "": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1000, "MB": 1_000_000,
            "GB": 1_000_000_000,
        ]
        guard let unit = units[text.dropFirst(digits.count)] else { return nil }
        let (value, overflow) = count.multipliedReportingOverflow(by: unit)
        return overflow ? nil : value
    }
}
