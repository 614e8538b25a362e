// libFuzzer harness for the configuration loader: YAML text as an operator might write it,
// mistakes included. Built and run by fuzz/run.sh (see ParserFuzzer.swift).
//
// Input: the configuration file's bytes.
//
// What is checked (a violation traps, which libFuzzer reports as a crash):
//   - the loader never crashes, and every refusal says what is wrong;
//   - it reads nothing but the text: the same text gives the same outcome twice.

import TaskhookDaemon

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

private func outcome(_ yaml: String) -> String {
    do {
        let configuration = try DaemonConfiguration.parse(yaml: yaml, environment: [:])
        return "accepted: \(configuration.routes.count) routes"
    } catch {
        let text = "\(error)"
        check(!text.isEmpty, "a refusal without a reason")
        return text
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let yaml = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let first = outcome(yaml)
    check(first == outcome(yaml), "the same text gave two outcomes")
    return 0
}
