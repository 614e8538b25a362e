import TaskhookCore
import TaskhookHTTP
import TaskhookState

/// One open `GET /v1/events` stream.
final class EventSubscriber {
    let responder: any Responder
    /// The `?task=` it is narrowed to (`provider:id` or a bare id); nil: every task.
    let task: String?
    /// Whether it goes on with live changes after its backlog (`follow=false`: it ends there).
    let follow: Bool
    /// While set, the stream is still sending what happened before it began.
    var backlog: ReportBacklog?
    /// Live changes that came while the backlog was being sent, in order: sent after it.
    var held: [UInt8] = []
    /// More came than is worth holding: they were dropped, and another backlog finds them.
    var heldOverflowed = false
    /// Waiting for its client to take most of what was sent (`Responder.whenDrained`).
    var waitingForDrain = false

    init(responder: any Responder, task: String?, follow: Bool) {
        self.responder = responder
        self.task = task
        self.follow = follow
    }
}

extension EventStream {
    /// One event: `id` the journal sequence, `data` what the delivery made of the task.
    static func message(_ task: TrackedTask, _ delivery: TrackedTask.Report) -> [UInt8] {
        let final = delivery.status.isTerminal
        var bytes = Array("id: ".utf8)
        JSON.appendDecimal(delivery.sequence, to: &bytes)
        bytes += "\nevent: task\ndata: ".utf8
        JSONObjectWriter.write(into: &bytes) { data in
            data.integer("sequence", delivery.sequence)
            data.string("task_id", task.id)
            data.string("provider", task.provider)
            data.string("status", delivery.status.rawValue)
            data.bool("terminal", final)
            data.strings("results", final ? task.results : [])
            data.optional("error", final ? task.error : nil)
            data.integer("time", delivery.time)
        }
        bytes += "\n\n".utf8
        return bytes
    }
}
