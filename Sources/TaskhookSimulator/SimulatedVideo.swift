import TaskhookCore

/// The result video the simulator serves for a completed task, as a provider's CDN would: the
/// same bytes for a task id every time (an MP4 `ftyp` box, then pseudo-random bytes), so a
/// download can be checked against them, with Range requests answered 206 (or 416).
public enum SimulatedVideo {
    static let pathPrefix = "/videos/"
    static let suffix = ".mp4"

    /// The task id a video path names.
    static func taskID(path: String) -> String? {
        guard path.hasPrefix(pathPrefix), path.hasSuffix(suffix) else { return nil }
        let id = path.dropFirst(pathPrefix.count).dropLast(suffix.count)
        return id.isEmpty || id.contains("/") ? nil : String(id)
    }

    public static func bytes(taskID: String, count: Int) -> [UInt8] {
        // FNV-1a of the id seeds a SplitMix64 stream.
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in taskID.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var bytes = Array("\0\0\0\u{18}ftypisom\0\0\u{2}\0isommp41".utf8).prefix(count)
        while bytes.count < count {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            z ^= z >> 31
            for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
                bytes.append(UInt8(truncatingIfNeeded: z >> UInt64(shift)))
            }
        }
        return Array(bytes)
    }

    /// The answer to a GET of the video: whole, or the part `Range: bytes=N-[M]` asks for.
    static func answer(_ request: SimulatorRequest, bytes: [UInt8]) -> SimulatorAnswer {
        let type = Delivery.Header(name: "Content-Type", value: "video/mp4")
        let ranges = Delivery.Header(name: "Accept-Ranges", value: "bytes")
        guard let range = request.headers["range"].flatMap(parseRange) else {
            return SimulatorAnswer(status: 200, headers: [type, ranges], body: bytes)
        }
        guard range.first < bytes.count else {
            return SimulatorAnswer(
                status: 416, headers: [Delivery.Header(name: "Content-Range", value: "bytes */\(bytes.count)")],
                body: [])
        }
        let last = min(range.last ?? bytes.count - 1, bytes.count - 1)
        let contentRange = Delivery.Header(name: "Content-Range", value: "bytes \(range.first)-\(last)/\(bytes.count)")
        return SimulatorAnswer(
            status: 206, headers: [type, ranges, contentRange], body: Array(bytes[range.first...last]))
    }

    /// `bytes=N-` or `bytes=N-M`; nil for anything else (then the whole video is sent, as RFC 9110 allows).
    static func parseRange(_ text: String) -> (first: Int, last: Int?)? {
        guard text.hasPrefix("bytes="), !text.contains(",") else { return nil }
        let parts = text.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let first = Int(parts[0]), first >= 0 else { return nil }
        if parts[1].isEmpty { return (first, nil) }
        guard let last = Int(parts[1]), last >= first else { return nil }
        return (first, last)
    }
}
