import CYAML
import TaskhookProviders

/// libyaml's parser over a configuration's text, one event at a time (Yams wraps the same C
/// parser, but needs Foundation, which was a third of taskhookd's idle memory).
///
/// The parser lives on the heap and is never moved: libyaml keeps a pointer to it inside it
/// (its read handler's data). It reads `text` in place, so `text` must outlive the reader;
/// `YAMLSettings.document` keeps both inside one `withUTF8`.
final class YAMLEvents {
    enum Event {
        case streamStart, streamEnd
        case documentStart(line: Int)
        case documentEnd
        case alias(line: Int)
        /// `plain`: written without quotes or a block indicator, so `~`, `null` and nothing mean null.
        case scalar(String, plain: Bool, line: Int)
        case sequenceStart(line: Int)
        case sequenceEnd
        case mappingStart(line: Int)
        case mappingEnd

        /// The line the event starts on, where it has one.
        var line: Int? {
            switch self {
            case .documentStart(let line), .alias(let line), .scalar(_, _, let line), .sequenceStart(let line),
                .mappingStart(let line):
                line
            case .streamStart, .streamEnd, .documentEnd, .sequenceEnd, .mappingEnd: nil
            }
        }
    }

    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private var lastLine: Int?

    /// `text` must not be empty: libyaml asserts that its input pointer is not null.
    init(_ text: UnsafeBufferPointer<UInt8>) {
        precondition(!text.isEmpty, "libyaml needs a non-empty input")
        // Only fails when memory runs out, which the first `next` then reports as an error.
        _ = yaml_parser_initialize(parser)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, text.baseAddress, text.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    func next() throws(SettingError) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) == 1 else { throw failure() }
        defer { yaml_event_delete(&raw) }
        // libyaml counts lines from 0.
        let line = Int(raw.start_mark.line) + 1
        lastLine = line
        switch raw.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart(line: line)
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias(line: line)
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            return .scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, line: line)
        case YAML_SEQUENCE_START_EVENT: return .sequenceStart(line: line)
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT: return .mappingStart(line: line)
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default: throw unexpected()
        }
    }

    /// An event out of the order libyaml promises; never seen, but not worth a crash.
    func unexpected() -> SettingError {
        SettingError(path: "", line: lastLine, "not valid YAML: the parser's events are out of order")
    }

    /// What libyaml says is wrong, and where: `did not find expected ',' or ']' (while parsing
    /// a flow sequence started at line 1)`.
    private func failure() -> SettingError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "the parser ran out of memory"
        if state.error == YAML_READER_ERROR {
            // Bad UTF-8 or a control character: libyaml knows the byte, not the line.
            return SettingError(path: "", line: nil, "not valid YAML: \(problem) at byte \(state.problem_offset)")
        }
        var message = "not valid YAML: \(problem)"
        if let context = state.context {
            message += " (\(String(cString: context)) at line \(state.context_mark.line + 1))"
        }
        let line = state.error == YAML_MEMORY_ERROR ? nil : Int(state.problem_mark.line) + 1
        return SettingError(path: "", line: line, message)
    }
}
