extension String {
    /// An untrusted value as it may appear in a reason that gets logged: in quotes, control characters
    /// escaped, cut to 40 characters.
    package var quotedForReason: String {
        let limit = 40
        let shown = count > limit ? String(prefix(limit)) + "…" : self
        return shown.debugDescription
    }
}
