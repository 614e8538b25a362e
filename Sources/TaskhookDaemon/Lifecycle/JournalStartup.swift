import Logging
import TaskhookJournal
import TaskhookPosix
import TaskhookState

/// Opens the journal at start: recovery (a torn tail cut off), the newest checkpoint, replay
/// of the records after it, then the group-commit writer that appends after them.
enum JournalStartup {
    struct Opened {
        let table: TaskTable
        let writer: GroupCommitWriter
        /// The authentic callbacks no profile has read yet.
        let unparsed: [UnparsedCallback]
    }

    static func open(_ configuration: JournalConfiguration, logger: Logger) throws(JournalError) -> Opened {
        let directory = JournalDirectory(path: configuration.directory)
        let started = Instant.now()
        let replay = try JournalReplay.open(directory)
        let writer = try GroupCommitWriter(
            directory: directory, recovery: replay.recovery, options: configuration.options)
        if let cut = replay.recovery.truncated {
            logger.warning(
                "journal: dropped a torn tail left by a crash",
                metadata: [
                    "file": "\(cut.file)", "offset": "\(cut.offset)", "dropped_bytes": "\(cut.droppedBytes)",
                    "reason": "\(cut.reason)",
                ])
        }
        for problem in replay.skippedCheckpoints {
            logger.warning(
                "journal: passed over a damaged checkpoint",
                metadata: ["file": "\(problem.file)", "reason": "\(problem.reason)"])
        }
        logger.info(
            "journal replayed",
            metadata: [
                "directory": "\(directory.path)", "journal_seq": "\(replay.recovery.lastSequence)",
                "checkpoint": "\(replay.checkpoint)", "replayed": "\(replay.replayed)",
                "tasks": "\(replay.table.count)", "unparsed": "\(replay.unparsed.count)",
                "took_ms": "\((Instant.now() - started).milliseconds)",
                "sync": "\(configuration.options.sync.rawValue)",
            ])
        return Opened(table: replay.table, writer: writer, unparsed: replay.unparsed)
    }
}
