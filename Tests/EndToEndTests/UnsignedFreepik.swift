import TestSupport

// The fixture most end-to-end tests share: a daemon with one unsigned Freepik-shaped route, and
// the callbacks a provider would post to it.

/// Writes `directory/taskhook.yaml`: the journal in `directory/journal` (64 KiB segments, so
/// tests see several), `extra` top-level configuration, and the route.
func unsignedFreepikConfig(_ directory: String, extra: String = "") throws -> String {
    let path = directory + "/taskhook.yaml"
    try """
    journal:
      directory: \(directory)/journal
      sync: always
      segment-size: 64KiB
    \(extra)
    routes:
      - path: /hooks/freepik
        provider: freepik
        allow-unsigned: true
    """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A Freepik callback as the provider sends it.
func freepikCallback(
    task: String, status: String = "COMPLETED", deliveryID: String, result: String? = nil, connection: String = ""
) -> String {
    let url = result ?? "https://cdn.example/\(task).mp4"
    let body = #"{"task_id":"\#(task)","status":"\#(status)","generated":["\#(url)"]}"#
    return "POST /hooks/freepik HTTP/1.1\r\nHost: hooks.example\r\nContent-Type: application/json\r\n"
        + "webhook-id: \(deliveryID)\r\nwebhook-timestamp: 1700000000\r\n\(connection)"
        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

/// Callback number `id`: task `task-<id>`, delivery `msg_<id>`.
func freepikCallback(id: Int, status: String = "COMPLETED", connection: String = "") -> String {
    freepikCallback(
        task: "task-\(id)", status: status, deliveryID: "msg_\(id)", result: "https://cdn.example/\(id).mp4",
        connection: connection)
}

/// Posts one callback on a connection of its own; returns the answer's status.
@discardableResult
func deliverFreepik(to daemon: DaemonProcess, task: String, status: String, deliveryID: String) throws -> Int {
    let client = try TestClient(daemon.address)
    try client.send(freepikCallback(task: task, status: status, deliveryID: deliveryID))
    return try client.readResponse().status
}

/// Sends a GET on the daemon's control socket; the answer is read from the returned client.
func controlGet(_ daemon: DaemonProcess, _ target: String) throws -> TestClient {
    let client = try TestClient(.unix(path: daemon.controlSocket))
    try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
    return client
}
