import Glibc

/// A line on standard error that rewrites itself (`\r`, erase to end of line), shown only when
/// standard error is a terminal: nothing of it reaches a pipe or a log file.
final class StatusLine {
    let isEnabled: Bool
    private var shown = false

    init(enabled: Bool = isatty(2) == 1) {
        isEnabled = enabled
    }

    func show(_ text: String) {
        guard isEnabled else { return }
        var width = winsize()
        let columns = ioctl(2, UInt(TIOCGWINSZ), &width) == 0 && width.ws_col > 1 ? Int(width.ws_col) - 1 : 79
        let line = text.count > columns ? String(text.prefix(columns - 1)) + "…" : text
        writeError("\r\u{1B}[K" + line)
        shown = true
    }

    func clear() {
        guard isEnabled, shown else { return }
        writeError("\r\u{1B}[K")
        shown = false
    }

    private func writeError(_ text: String) {
        writeAll(Array(text.utf8), to: 2)
    }
}
