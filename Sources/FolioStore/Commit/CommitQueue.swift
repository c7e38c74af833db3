internal import FolioGit
import FolioSupport
import Foundation
import Logging
import Synchronization

/// The one writer of a repository in this process.
///
/// Saves are queued; a dedicated thread takes everything waiting (up to `maxBatch`), builds one commit per
/// save as a chain on the branch tip, writes all their objects as one fsynced pack and moves the branch
/// once with a compare-and-swap. The `CatalogStage` then records the commits in the catalog in one
/// transaction and only then answers each waiter, while this thread goes on with the next batch
/// (pipelining: the catalog's work overlaps the next build and pack). A lone save goes straight
/// through; saves that arrive while a write is in flight share the next one (group commit), which is
/// where throughput comes from — never from skipping fsync.
///
/// Across processes the compare-and-swap decides: the loser rebuilds its batch on the new tip (re-checking
/// no-ops and merges against it) and tries again.
final class CommitQueue: Sendable {
    /// Told a request's outcome once its batch is done: a suspended `submit`, or one slot of `submitAll`.
    private struct Waiter: Sendable {
        let deliver: @Sendable (Result<[SaveResult], any Error>) -> Void
        func resume(returning results: [SaveResult]) { deliver(.success(results)) }
        func resume(throwing error: any Error) { deliver(.failure(error)) }
    }

    /// What the writer thread works with. Held under a lock for the whole of each batch, but only ever by
    /// that thread, so the lock is never contended: it is how the compiler knows nothing else touches it.
    private struct WriterState {
        /// Replaced when packs were consolidated.
        var repository: Repository
        /// The branch tip this writer last wrote or saw; when the branch is elsewhere, another writer moved it.
        var lastTip: ObjectID?
    }

    private struct Waiting {
        var pending: [(request: WriteRequest, waiter: Waiter)] = []
        var stopping = false
    }

    private let writer: Mutex<WriterState>
    private let waiting = Mutex(Waiting())
    /// Signalled once per queued request and once on shutdown; the writer thread sleeps on it.
    private let work = DispatchSemaphore(value: 0)
    private let refGuard: RefGuard
    /// Counts batches whose commits reached the branch but not the catalog since the catalog last caught
    /// up; while it is not zero the store's reads catch up first.
    let catalogBehind = Atomic<Int>(0)
    private let reopenRequested = Atomic<Bool>(false)
    private let catalog: any Catalog
    private let configuration: StoreConfiguration
    private let logger: Logger
    private let onCommit: @Sendable () -> Void
    private let finished = DispatchSemaphore(value: 0)
    private let stage: CatalogStage

    /// A batch as the branch has it (or found unchanged): what the catalog stage records and answers.
    private struct Published: Sendable {
        /// The tip the batch was built on.
        var base: ObjectID?
        /// The branch after the batch; nil when nothing was committed.
        var newTip: ObjectID?
        var records: [CommitRecord]
        var outcomes: [CommitBuilder.Outcome]
    }

    init(repositoryPath: String, catalog: any Catalog, configuration: StoreConfiguration, logger: Logger, onCommit: @escaping @Sendable () -> Void) throws {
        self.writer = Mutex(WriterState(repository: try CommitQueue.openRepository(repositoryPath, packed: configuration.packedWrites)))
        self.refGuard = try RefGuard(repositoryPath: repositoryPath)
        self.catalog = catalog
        self.configuration = configuration
        self.logger = logger
        self.onCommit = onCommit
        self.stage = try CatalogStage(repositoryPath: repositoryPath)
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "folio-commit-writer"
        thread.start()
    }

    /// Queues a change and waits until it is durable in git and recorded in the catalog; one result per
    /// file of the request, in its order.
    func submit(_ request: WriteRequest) async throws -> [SaveResult] {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[SaveResult], any Error>) in
            enqueue([(request, Waiter { continuation.resume(with: $0) })])
        }
    }

    /// Queues `requests` together, in this order (so their commits are made in this order, several per
    /// group commit), and waits for all; one outcome per request. A bulk import uses it to keep one
    /// commit per row in the rows' order without waiting out a batch per row.
    func submitAll(_ requests: [WriteRequest]) async -> [Result<[SaveResult], any Error>] {
        guard !requests.isEmpty else { return [] }
        return await withCheckedContinuation { (continuation: CheckedContinuation<[Result<[SaveResult], any Error>], Never>) in
            let collected = Collected(count: requests.count)
            enqueue(requests.enumerated().map { index, request in
                (request, Waiter { outcome in
                    let finished = collected.state.withLock { state -> [Result<[SaveResult], any Error>]? in
                        state.results[index] = outcome
                        state.remaining -= 1
                        return state.remaining == 0 ? state.results.map { $0! } : nil
                    }
                    if let finished { continuation.resume(returning: finished) }
                })
            })
        }
    }

    /// The outcomes of a `submitAll` as they arrive, and how many are still to come.
    private final class Collected: Sendable {
        let state: Mutex<(results: [Result<[SaveResult], any Error>?], remaining: Int)>
        init(count: Int) { state = Mutex((Array(repeating: nil, count: count), count)) }
    }

    private func enqueue(_ items: [(request: WriteRequest, waiter: Waiter)]) {
        let queued = waiting.withLock { waiting in
            guard !waiting.stopping else { return false }
            waiting.pending.append(contentsOf: items)
            return true
        }
        guard queued else {
            for item in items { item.waiter.resume(throwing: StoreError(.unavailable, "the store is shutting down")) }
            return
        }
        for _ in items { work.signal() }
    }

    private static func openRepository(_ path: String, packed: Bool) throws -> Repository {
        let repository = try Repository.open(at: path)
        if packed { try repository.beginBatch() }
        return repository
    }

    /// Makes the writer open a fresh repository handle before its next batch: after packs were
    /// consolidated its handle still lists the removed ones.
    func requestReopen() {
        reopenRequested.store(true, ordering: .releasing)
    }

    /// Finishes the writes already queued, refuses new ones, and stops the writer thread.
    func shutdown() {
        let wasRunning = waiting.withLock { waiting in
            defer { waiting.stopping = true }
            return !waiting.stopping
        }
        guard wasRunning else { return }
        work.signal()
        finished.wait()
        stage.shutdown()
    }

    private func run() {
        while true {
            work.wait()
            // A batch takes every request waiting (up to maxBatch), so some wake-ups find nothing left.
            let (batch, stop) = waiting.withLock { waiting -> ([(request: WriteRequest, waiter: Waiter)], Bool) in
                if waiting.pending.isEmpty { return ([], waiting.stopping) }
                let count = min(waiting.pending.count, max(configuration.maxBatch, 1))
                defer { waiting.pending.removeFirst(count) }
                return (Array(waiting.pending.prefix(count)), false)
            }
            if stop {
                finished.signal()
                return
            }
            if batch.isEmpty { continue }
            writer.withLock { write(batch, &$0) }
        }
    }

    private func write(_ batch: [(request: WriteRequest, waiter: Waiter)], _ state: inout WriterState) {
        let requests = batch.map(\.request)
        var published: Published?
        var failure: (any Error)?
        // A failure before the branch moves — another writer's new pack not yet visible to this handle,
        // packs consolidated away, a full disk — made nothing durable, so the batch is built again on a
        // fresh handle: nothing of the failed attempt (objects in memory, a half-written pack) survives it.
        for attempt in 1...CommitQueue.attempts {
            do {
                if attempt > 1 || reopenRequested.exchange(false, ordering: .acquiring) {
                    try reopen(&state)
                }
                published = try commitWithRetry(requests, &state)
                break
            } catch {
                failure = error
                logger.warning("commit batch failed before the branch moved; retrying on a fresh handle", metadata: [
                    "error": "\(error)", "attempt": "\(attempt)", "size": "\(batch.count)",
                ])
                if attempt < CommitQueue.attempts { usleep(UInt32(attempt) * 20_000) }
            }
        }
        guard let published else {
            // Leave no state behind for the next batch, whatever the failure was.
            do { try reopen(&state) } catch { try? state.repository.discardBatch() }
            let error = failure ?? StoreError(.unavailable, "could not write to the repository")
            logger.error("commit batch failed; nothing of it was committed", metadata: ["error": "\(error)", "size": "\(batch.count)"])
            let storeError = error as? StoreError ?? StoreError(.unavailable, "could not write to the repository: \(error)", cause: error)
            for item in batch { item.waiter.resume(throwing: storeError) }
            return
        }
        let waiters = batch.map(\.waiter)
        stage.enqueue { [self] repository in
            let results = record(published, using: repository)
            for (waiter, result) in zip(waiters, results) {
                switch result {
                case .success(let value): waiter.resume(returning: value)
                case .failure(let error): waiter.resume(throwing: error)
                }
            }
            onCommit()
        }
    }

    /// On the catalog stage: records a published batch and works out each caller's answer. The commits
    /// are durable on the branch already, so a catalog error does not turn them into failures: the
    /// answers then come from what was built, and the catalog catches up on the next read or write.
    private func record(_ published: Published, using repository: Repository) -> [Result<[SaveResult], StoreError>] {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            if let newTip = published.newTip {
                let known = Dictionary(uniqueKeysWithValues: published.records.map { ($0.commit, $0) })
                try Ingest.follow(
                    repository: repository, catalog: catalog, branch: configuration.branchReference, to: newTip, logger: logger, known: known,
                    expected: (base: published.base, chain: published.records.map(\.commit)))
            } else if let tip = published.base {
                // Nothing committed (no-ops and refusals only); the catalog may still lag other writers.
                try Ingest.follow(repository: repository, catalog: catalog, branch: configuration.branchReference, to: tip, logger: logger)
            }
        } catch {
            if published.newTip != nil {
                catalogBehind.add(1, ordering: .releasing)
                logger.error("saved to git but the catalog could not record it yet; it catches up on the next read or write", metadata: [
                    "error": "\(error)", "tip": "\(published.newTip?.hex ?? "")", "saves": "\(published.outcomes.count)",
                ])
            } else {
                logger.error("the catalog could not be brought up to date to answer saves that changed nothing", metadata: ["error": "\(error)"])
            }
            return published.outcomes.map { $0.resultsFromGit() }
        }
        if published.newTip != nil { Failpoint.afterCatalog.hit() }
        let results = published.outcomes.map { outcome in
            (try? outcome.results(from: catalog)) ?? outcome.resultsFromGit()
        }
        logger.debug("group commit recorded", metadata: [
            "saves": "\(published.outcomes.count)",
            "catalog_ms": "\(String(format: "%.2f", Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6))",
        ])
        return results
    }

    /// Tries a batch at most this often before its callers are told it failed.
    private static let attempts = 3

    private func reopen(_ state: inout WriterState) throws {
        state.repository = try CommitQueue.openRepository(state.repository.path, packed: configuration.packedWrites)
        state.lastTip = nil
    }

    /// Builds, writes and publishes the batch, rebuilding it on the new tip whenever another writer wins.
    private func commitWithRetry(_ requests: [WriteRequest], _ state: inout WriterState) throws -> Published {
        let repository = state.repository
        var attempt = 0
        while true {
            attempt += 1
            let started = DispatchTime.now().uptimeNanoseconds
            let tip = try repository.resolveReference(configuration.branchReference)
            if tip != state.lastTip {
                // Another process (or a consolidation) wrote packs this handle has not listed yet.
                try repository.refreshObjects()
                state.lastTip = tip
            }
            let built = try CommitBuilder(repository: repository, committer: committer()).build(requests, on: tip)
            let builtAt = DispatchTime.now().uptimeNanoseconds
            guard let newTip = built.newTip else {
                return Published(base: tip, newTip: nil, records: [], outcomes: built.outcomes)
            }
            var flushedAt = builtAt
            do {
                // A cheap look before the fsync: if the branch already moved, rebuild without writing a pack.
                guard try repository.resolveReference(configuration.branchReference) == tip else {
                    throw GitError(code: .modified, function: "resolveReference", message: "branch moved")
                }
                try repository.flushBatch()
                flushedAt = DispatchTime.now().uptimeNanoseconds
                try refGuard.withRefLock(configuration.branchReference, cleaned: logCleanup) {
                    try repository.updateReference(configuration.branchReference, to: newTip, expected: tip, logMessage: "folio: \(built.records.count) commit(s)")
                }
            } catch let error as GitError where [.modified, .locked, .exists].contains(error.code) && attempt < 200 {
                try repository.discardBatch()
                try repository.refreshObjects()
                // Jitter so competing processes do not retry in lockstep.
                usleep(UInt32.random(in: 200...(2_000 * UInt32(min(attempt, 10)))))
                continue
            } catch {
                // A failure as the ref moved (a reflog that could not be written, say) may still have moved
                // it: then the commits are on the branch and the callers must be told so.
                guard (try? repository.resolveReference(configuration.branchReference)) == newTip else { throw error }
                logger.warning("the branch moved although the update reported an error", metadata: ["error": "\(error)"])
            }
            Failpoint.afterRef.hit()
            state.lastTip = newTip
            // Where a group commit's time goes, for operators tuning throughput (FOLIO_LOG_LEVEL=debug);
            // the catalog's share is logged by the stage ("group commit recorded").
            let millis = { (from: UInt64, to: UInt64) in String(format: "%.2f", Double(to - from) / 1e6) }
            logger.debug("group commit", metadata: [
                "saves": "\(requests.count)", "build_ms": "\(millis(started, builtAt))", "pack_ms": "\(millis(builtAt, flushedAt))",
                "ref_ms": "\(millis(flushedAt, DispatchTime.now().uptimeNanoseconds))",
            ])
            return Published(base: tip, newTip: newTip, records: built.records, outcomes: built.outcomes)
        }
    }

    private func logCleanup(_ cleanup: RefGuard.Cleanup) {
        for removed in cleanup.removed {
            logger.warning("removed a stale ref lock", metadata: ["path": "\(removed.path)", "reason": "\(removed.reason)"])
        }
    }

    /// The service identity, stamped now: every commit of a batch shares the time.
    private func committer() -> Signature {
        Signature(name: configuration.committerName, email: configuration.committerEmail)
    }
}
