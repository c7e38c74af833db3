internal import FolioGit
import FolioSupport
import Foundation
import Logging
import Synchronization

/// Drains the mirror outbox: for each queued file, publishes its current version (or removes it) and
/// clears the row. Only the tip matters, so a file saved ten times while the mirror was down is written
/// once. Failures stay queued with exponential backoff and the last error, for `folio mirror status`.
final class MirrorWorker: Sendable {
    private let catalog: any Catalog
    private let mirror: any Mirror
    private let readers: ReaderPool
    private let logger: Logger
    private let loop = BackgroundLoop(name: "folio-mirror", interval: 1)

    init(catalog: any Catalog, mirror: any Mirror, readers: ReaderPool, logger: Logger) {
        self.catalog = catalog
        self.mirror = mirror
        self.readers = readers
        self.logger = logger
    }

    /// Starts the background thread that drains after every commit and, each second, retries failures
    /// that have come due.
    func start() {
        loop.start { [unowned self] in _ = self.drain() }
    }

    /// Wakes the worker (called after each commit).
    func signal() { loop.signal() }

    /// Stops the background thread after its current pass.
    func stop() { loop.stop() }

    /// Processes every row that is due at `now`, as many at a time as the mirror takes
    /// (`writeConcurrency`); returns how many were mirrored and how many failed.
    @discardableResult
    func drain(now: Date = Date(), progress: ((Int, Int) -> Void)? = nil) -> (mirrored: Int, failed: Int) {
        let counts = Mutex((mirrored: 0, failed: 0, written: [OutboxEntry]()))
        var seen = Set<String>()
        let total = progress == nil ? 0 : ((try? catalog.outboxAll().count) ?? 0)
        while true {
            let due: [OutboxEntry]
            do {
                due = try catalog.outboxDue(now: now, limit: 512).filter { !seen.contains($0.fileKey + "@" + $0.commit.hex) }
            } catch {
                logger.error("mirror outbox unreadable", metadata: ["error": "\(error)"])
                return counts.withLock { ($0.mirrored, $0.failed + 1) }
            }
            if due.isEmpty { return counts.withLock { ($0.mirrored, $0.failed) } }
            for entry in due { seen.insert(entry.fileKey + "@" + entry.commit.hex) }
            let slots = DispatchSemaphore(value: max(1, mirror.writeConcurrency))
            let group = DispatchGroup()
            for entry in due {
                slots.wait()
                group.enter()
                DispatchQueue.global().async {
                    let ok = self.process(entry)
                    counts.withLock { if ok { $0.written.append(entry) } else { $0.failed += 1 } }
                    slots.signal()
                    group.leave()
                }
            }
            group.wait()
            // One flush for the whole round, then the outbox may forget what it made durable.
            let written = counts.withLock { state -> [OutboxEntry] in
                defer { state.written.removeAll() }
                return state.written
            }
            if !written.isEmpty {
                do {
                    try mirror.sync()
                    // One transaction for the round: a write transaction per file was a large part of
                    // the catalog's work under load.
                    try catalog.outboxCompleted(written.map { ($0.fileKey, $0.commit) })
                    counts.withLock { $0.mirrored += written.count }
                } catch {
                    for entry in written { fail(entry, error) }
                    counts.withLock { $0.failed += written.count }
                }
            }
            let done = counts.withLock { $0.mirrored + $0.failed }
            progress?(done, max(total, done))
        }
    }

    private func process(_ entry: OutboxEntry) -> Bool {
        do {
            let key = try FileKey(parsing: entry.fileKey)
            var document = try catalog.document(key)
            // Another process's worker may mirror the same file at the same time: one that read an older
            // version can finish writing after one that wrote the newer. So after writing, the current
            // version is read again, and written again until it is the one just written: whichever
            // worker writes last then leaves the version that was current after its write.
            while true {
                if let document, document.deletedAt == nil, let blob = document.blob, let commit = document.commit {
                    let data = try readers.withRepository { try $0.readBlob(blob) }
                    try mirror.put(key, envelope: data, commit: commit, author: document.updatedBy ?? "")
                } else {
                    try mirror.remove(key)
                }
                let now = try catalog.document(key)
                if now?.commit == document?.commit && now?.deletedAt == document?.deletedAt { return true }
                document = now
            }
        } catch {
            fail(entry, error)
            return false
        }
    }

    private func fail(_ entry: OutboxEntry, _ error: any Error) {
        do {
            // Outages: exponential backoff with jitter, capped at five minutes. A configuration problem
            // (wrong secret, missing bucket) will not fix itself in a second: retry it at the cap.
            let retryable = (error as? MirrorError)?.retryable ?? true
            let exponent = retryable ? Double(min(entry.attempts, 10)) : 10
            let delay = min(300, pow(2, exponent)) * Double.random(in: 0.5...1.0)
            logger.warning("mirror write failed", metadata: ["key": "\(entry.fileKey)", "error": "\(error)", "retry_in_s": "\(Int(delay))"])
            try catalog.outboxFailed(entry.fileKey, commit: entry.commit, error: "\(error)", nextAttemptAt: Date().addingTimeInterval(delay))
        } catch {
            logger.error("cannot record a mirror failure in the outbox", metadata: ["key": "\(entry.fileKey)", "error": "\(error)"])
        }
    }
}
