/// Why an authentic body yields no task event; becomes `Normalized.unparsed(reason:)`.
struct PayloadProblem: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
