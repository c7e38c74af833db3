internal import FolioGit
import FolioSupport
import Foundation
import Logging
import Synchronization

/// The one writer of a repository in this process.
///
/// Saves are queued; a dedicated thread takes everything waiting (up to `maxBatch`) and builds one
/// commit per save as a chain on the branch tip, in memory. A second step (the publisher) writes the
/// batch's objects as one fsynced pack and moves the branch once with a compare-and-swap; a third (the
/// `CatalogStage`) records the commits in the catalog in one transaction and only then answers each
/// waiter. The three overlap: while batch N's pack and ref are written, the writer builds N+1 on N's
/// new tip, and while N's catalog transaction runs, N+1's pack is written. A lone save goes straight
/// through; saves that arrive while a write is in flight share the next one (group commit), which is
/// where throughput comes from — never from skipping fsync.
///
/// N+1 is handed to the publisher only once N is on the branch. If N is not (another process moved the
/// branch first, or the pack could not be written), everything built on it is dropped and its requests
/// go back to the front of the queue, in order, to be built again on the branch as it is. The three
/// steps stay separate — a pack, a compare-and-swap, a transaction — as DESIGN.md's many-machines plan
/// needs.
final class CommitQueue: Sendable {
    /// Told a request's outcome once its batch is done: a suspended `submit`, or one slot of `submitAll`.
    private struct Waiter: Sendable {
        let deliver: @Sendable (Result<[SaveResult], any Error>) -> Void
        func resume(returning results: [SaveResult]) { deliver(.success(results)) }
        func resume(throwing error: any Error) { deliver(.failure(error)) }
    }

    /// A queued request and how often it was tried.
    private struct Queued: Sendable {
        var request: WriteRequest
        var waiter: Waiter
        /// Attempts that failed before the branch moved (a full disk, say).
        var failures = 0
        /// Compare-and-swaps lost to another writer.
        var lost = 0
    }

    /// What the writer thread works with. Held under a lock for each wake-up of the writer (waits for the
    /// publisher included), but only ever by that thread, so the lock is never contended: it is how the
    /// compiler knows nothing else touches it.
    private struct WriterState {
        /// Replaced when packs were consolidated.
        var repository: Repository
        /// The branch tip this writer last wrote or saw; when the branch is elsewhere, another writer moved it.
        var lastTip: ObjectID?
        /// The batch the publisher is writing, if any; the next batch is built on its new tip.
        var inFlight: InFlight?
    }

    private struct Waiting {
        var pending: [Queued] = []
        var stopping = false
    }

    /// A batch handed to the publisher: its pack is written, then the branch moved to its new tip.
    private final class InFlight: Sendable {
        let items: [Queued]
        let published: Published
        let pack: PendingPack
        let buildMillis: String
        private let outcome = Mutex<PublishOutcome?>(nil)
        private let done = DispatchSemaphore(value: 0)

        init(items: [Queued], published: Published, pack: PendingPack, buildMillis: String) {
            self.items = items
            self.published = published
            self.pack = pack
            self.buildMillis = buildMillis
        }

        func finish(_ result: PublishOutcome) {
            outcome.withLock { $0 = result }
            done.signal()
        }

        var isFinished: Bool { outcome.withLock { $0 != nil } }

        /// Waits for the publisher's outcome.
        func wait() -> PublishOutcome {
            done.wait()
            done.signal()
            return outcome.withLock { $0! }
        }
    }

    private enum PublishOutcome: Sendable {
        /// The branch is at the batch's new tip.
        case published
        /// Another writer moved the branch first; nothing of the batch is on it.
        case lost
        /// Nothing of the batch is on the branch.
        case failed(any Error)
    }

    private let writer: Mutex<WriterState>
    private let waiting = Mutex(Waiting())
    /// Signalled once per request queued or put back, once per finished publication and once on
    /// shutdown; the writer thread sleeps on it.
    private let work = DispatchSemaphore(value: 0)
    private let refGuard: RefGuard
    /// The publisher's own handle (libgit2 handles are single-threaded); used on `publishing` only.
    private let publisher: Mutex<Repository>
    private let publishing = DispatchQueue(label: "folio-commit-publish")
    /// Counts batches whose commits reached the branch but not the catalog since the catalog last caught
    /// up; while it is not zero the store's reads catch up first.
    let catalogBehind = Atomic<Int>(0)
    /// Compare-and-swaps lost to other writers since the queue started (each sends a batch, and any
    /// built on it, back to be rebuilt).
    let lostRaces = Atomic<Int>(0)
    private let reopenRequested = Atomic<Bool>(false)
    private let publisherReopenRequested = Atomic<Bool>(false)
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

        init(base: ObjectID?, built: CommitBuilder.Built) {
            self.base = base
            newTip = built.newTip
            records = built.records
            outcomes = built.outcomes
        }
    }

    init(repositoryPath: String, catalog: any Catalog, configuration: StoreConfiguration, logger: Logger, onCommit: @escaping @Sendable () -> Void) throws {
        self.writer = Mutex(WriterState(repository: try CommitQueue.openRepository(repositoryPath, packed: configuration.packedWrites)))
        self.refGuard = try RefGuard(repositoryPath: repositoryPath)
        self.publisher = Mutex(try Repository.open(at: repositoryPath))
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
            waiting.pending.append(contentsOf: items.map { Queued(request: $0.request, waiter: $0.waiter) })
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

    /// Makes the writer and the publisher open fresh repository handles before their next batch: after
    /// packs were consolidated their handles still list the removed ones.
    func requestReopen() {
        reopenRequested.store(true, ordering: .releasing)
        publisherReopenRequested.store(true, ordering: .releasing)
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
            if writer.withLock({ turn(&$0) }) {
                finished.signal()
                return
            }
        }
    }

    /// One wake-up of the writer: takes in a finished publication, then builds what is waiting (up to
    /// maxBatch). Returns true when the queue is stopping and nothing is left to do.
    private func turn(_ state: inout WriterState) -> Bool {
        if let inFlight = state.inFlight, inFlight.isFinished {
            requeue(collect(&state))
        }
        // Some wake-ups find nothing left: a batch takes every request waiting.
        let batch = take(upTo: configuration.maxBatch)
        if !batch.isEmpty { write(batch, &state) }
        // Checked after the write too: the write may have taken the shutdown's wake-up while it waited.
        let (stopping, idle) = waiting.withLock { ($0.stopping, $0.pending.isEmpty) }
        guard stopping, idle else { return false }
        guard state.inFlight != nil else { return true }
        let retry = collect(&state)
        requeue(retry)
        return retry.isEmpty
    }

    /// Takes up to `count` requests (at least one) from the front of the queue.
    private func take(upTo count: Int) -> [Queued] {
        waiting.withLock { waiting in
            let count = min(waiting.pending.count, max(count, 1))
            defer { waiting.pending.removeFirst(count) }
            return Array(waiting.pending.prefix(count))
        }
    }

    /// Puts requests back at the front of the queue, in this order, ahead of anything queued since.
    private func requeue(_ items: [Queued]) {
        guard !items.isEmpty else { return }
        waiting.withLock { $0.pending.insert(contentsOf: items, at: 0) }
        for _ in items { work.signal() }
    }

    /// Builds a batch (on the tip of the batch in flight, if any), then hands it to the publisher once
    /// the batch ahead of it is on the branch.
    private func write(_ batch: [Queued], _ state: inout WriterState) {
        // The in-memory objects are dropped only with nothing in flight, when every one of them is in a
        // durable pack; a long run of back-to-back batches waits for one now and then to bound them.
        // Requests that keep losing the branch to another writer are built while holding the ref lock.
        let contended = batch.contains { $0.lost >= CommitQueue.lossesBeforeLocking }
        if state.inFlight != nil, contended || reopenRequested.load(ordering: .acquiring) || state.repository.batchBytes > CommitQueue.heldBytesLimit {
            let retry = collect(&state)
            guard retry.isEmpty else { return requeue(retry + batch) }
        }
        if state.inFlight == nil {
            do {
                if reopenRequested.exchange(false, ordering: .acquiring) {
                    try reopen(&state)
                } else {
                    try state.repository.settleBatch()
                }
            } catch {
                return requeue(failed(batch, error, &state))
            }
        }

        if contended { return writeHoldingTheRefLock(batch, &state) }

        let started = DispatchTime.now().uptimeNanoseconds
        var buildNanos: UInt64 = 0
        var items = batch
        let base: ObjectID?
        var built: CommitBuilder.Built
        var pack: PendingPack
        do {
            if let inFlight = state.inFlight {
                base = inFlight.published.newTip
            } else {
                base = try branchTip(on: state.repository, lastSeen: &state.lastTip)
            }
            built = try CommitBuilder(repository: state.repository, committer: committer()).build(items.map(\.request), on: base)
            pack = try state.repository.takeBatchObjects()
            buildNanos = DispatchTime.now().uptimeNanoseconds - started
            // Requests that arrive while the batch ahead is still being written join this one, so a
            // batch gathers what came in during a whole publication, as it would without the overlap.
            while let inFlight = state.inFlight, !inFlight.isFinished, items.count < configuration.maxBatch,
                  state.repository.batchBytes <= CommitQueue.heldBytesLimit
            {
                work.wait()
                let more = take(upTo: configuration.maxBatch - items.count)
                guard !more.isEmpty else { continue }
                items += more
                let buildStarted = DispatchTime.now().uptimeNanoseconds
                let extra = try CommitBuilder(repository: state.repository, committer: committer()).build(more.map(\.request), on: built.newTip ?? base)
                buildNanos += DispatchTime.now().uptimeNanoseconds - buildStarted
                built.newTip = extra.newTip ?? built.newTip
                built.records += extra.records
                built.outcomes += extra.outcomes
                pack = pack.appending(try state.repository.takeBatchObjects())
            }
        } catch {
            // Nothing of this batch reached the publisher. The one ahead must be settled before the
            // handle is replaced; if it failed too, its requests go first.
            let retry = state.inFlight != nil ? collect(&state) : []
            return requeue(retry + failed(items, error, &state))
        }
        // The build's own time, without the waits for the batch ahead.
        let buildMillis = CommitQueue.millis(buildNanos)

        // Built on the tip of the batch ahead: handed on only once that tip is the branch's.
        if state.inFlight != nil {
            let retry = collect(&state)
            guard retry.isEmpty else { return requeue(retry + items) }
        }
        let published = Published(base: base, built: built)
        guard built.newTip != nil else {
            // No-ops and refusals only: answered from the catalog once the batches ahead are recorded.
            return answer(published, waiters: items.map(\.waiter))
        }
        let inFlight = InFlight(items: items, published: published, pack: pack, buildMillis: buildMillis)
        state.inFlight = inFlight
        publishing.async { [self] in publish(inFlight) }
    }

    /// A batch whose requests lost the branch `lossesBeforeLocking` times: built, packed and published
    /// in one go while holding the ref lock, so other Folio writers wait at their compare-and-swap
    /// instead of winning again. Without it a large batch could lose forever to a writer that keeps
    /// committing small ones faster than the large one is built. Nothing is in flight here.
    private func writeHoldingTheRefLock(_ batch: [Queued], _ state: inout WriterState) {
        logger.info("saves lost the branch to another writer repeatedly; building them holding the ref lock", metadata: [
            "saves": "\(batch.count)", "lost": "\(batch.map(\.lost).max() ?? 0)",
        ])
        let repository = state.repository
        var lastTip = state.lastTip
        var built: (base: ObjectID?, result: CommitBuilder.Built)?
        let outcome = moveBranch(on: repository, to: { built?.result.newTip }) {
            try refGuard.withRefLock(configuration.branchReference, cleaned: logCleanup, prepare: {
                let base = try branchTip(on: repository, lastSeen: &lastTip)
                let result = try CommitBuilder(repository: repository, committer: committer()).build(batch.map(\.request), on: base)
                let pack = try repository.takeBatchObjects()
                built = (base, result)
                if result.newTip != nil { try pack.write(toRepository: repository.path) }
            }, {
                guard let built, let newTip = built.result.newTip else { return }
                try repository.updateReference(
                    configuration.branchReference, to: newTip, expected: built.base, logMessage: "folio: \(built.result.records.count) commit(s)")
            })
        }
        state.lastTip = lastTip
        switch outcome {
        case .lost:
            // Moved by something that does not take Folio's ref lock (a push's receive-pack).
            return requeue(lost(batch, &state))
        case .failed(let error):
            return requeue(failed(batch, error, &state))
        case .published:
            guard let built else {
                // Not reached: `prepare` runs first and sets it, or the lock path did not get this far.
                return requeue(failed(batch, StoreError(.internal, "the batch was published without being built"), &state))
            }
            if let newTip = built.result.newTip {
                Failpoint.afterRef.hit()
                state.lastTip = newTip
            }
            answer(Published(base: built.base, built: built.result), waiters: batch.map(\.waiter))
        }
    }

    /// The branch's tip as it is now. When it is not where this writer last saw it, another process (or
    /// a consolidation) wrote packs the handle has not listed yet, so it lists them first.
    private func branchTip(on repository: Repository, lastSeen: inout ObjectID?) throws -> ObjectID? {
        let tip = try repository.resolveReference(configuration.branchReference)
        if tip != lastSeen {
            try repository.refreshObjects()
            lastSeen = tip
        }
        return tip
    }

    /// Runs `move` (which writes a pack and compare-and-swaps the branch to `newTip()`) and says what
    /// became of the branch. A failure as the ref moved (a reflog that could not be written, say) may
    /// still have moved it: then the commits are on the branch and the callers must be told so.
    private func moveBranch(on repository: Repository, to newTip: () -> ObjectID?, _ move: () throws -> Void) -> PublishOutcome {
        do {
            try move()
            return .published
        } catch let error as GitError where [.modified, .locked, .exists].contains(error.code) {
            return .lost
        } catch {
            guard let newTip = newTip(), (try? repository.resolveReference(configuration.branchReference)) == newTip else { return .failed(error) }
            logger.warning("the branch moved although the update reported an error", metadata: ["error": "\(error)"])
            return .published
        }
    }

    /// Compare-and-swaps a request loses before its batch is built holding the ref lock.
    private static let lossesBeforeLocking = 3

    /// Bytes of built objects the writer keeps in memory across back-to-back batches before it waits
    /// for the publisher and drops them.
    private static let heldBytesLimit = 64 << 20

    /// On the publisher's queue: writes the batch's pack, then moves the branch from the batch's base to
    /// its new tip; on success hands the batch to the catalog stage, which answers its callers.
    private func publish(_ batch: InFlight) {
        let started = DispatchTime.now().uptimeNanoseconds
        var packMillis = ""
        let outcome = publisher.withLock { repository -> PublishOutcome in
            let base = batch.published.base
            guard let newTip = batch.published.newTip else { return .published }
            return moveBranch(on: repository, to: { newTip }) {
                // libgit2 checks that a ref's new target exists, and a handle's list of packs only ever
                // grows: after a consolidation a fresh handle lists just the packs that exist.
                if publisherReopenRequested.exchange(false, ordering: .acquiring) {
                    do {
                        repository = try Repository.open(at: repository.path)
                    } catch {
                        // Asked again at the next batch.
                        publisherReopenRequested.store(true, ordering: .releasing)
                        throw error
                    }
                }
                // A cheap look before the fsync: if the branch already moved, rebuild without writing a pack.
                guard try repository.resolveReference(configuration.branchReference) == base else {
                    throw GitError(code: .modified, function: "resolveReference", message: "the branch moved")
                }
                try batch.pack.write(toRepository: repository.path)
                packMillis = CommitQueue.millis(from: started)
                try refGuard.withRefLock(configuration.branchReference, cleaned: logCleanup) {
                    try repository.updateReference(
                        configuration.branchReference, to: newTip, expected: base, logMessage: "folio: \(batch.published.records.count) commit(s)")
                }
            }
        }
        if case .published = outcome {
            Failpoint.afterRef.hit()
            // Where a group commit's time goes, for operators tuning throughput (FOLIO_LOG_LEVEL=debug);
            // the catalog's share is logged by the stage ("group commit recorded").
            logger.debug("group commit", metadata: [
                "saves": "\(batch.items.count)", "build_ms": "\(batch.buildMillis)", "pack_ms": "\(packMillis)",
                "ref_ms": "\(CommitQueue.millis(from: started))",
            ])
            // Queued before the writer hears of it, so batches after this one are recorded after it.
            answer(batch.published, waiters: batch.items.map(\.waiter))
        }
        batch.finish(outcome)
        work.signal()
    }

    /// Waits for the batch in flight and takes in its outcome. Returns the requests to build again, in
    /// order (none when it is on the branch); after a failure nothing built on it survives in the writer.
    private func collect(_ state: inout WriterState) -> [Queued] {
        guard let inFlight = state.inFlight else { return [] }
        state.inFlight = nil
        switch inFlight.wait() {
        case .published:
            state.lastTip = inFlight.published.newTip
            return []
        case .lost:
            return lost(inFlight.items, &state)
        case .failed(let error):
            return failed(inFlight.items, error, &state)
        }
    }

    /// Another writer moved the branch first: nothing of the batch is on it. Returns the requests to
    /// build again on the branch as it is; those that lost `maxLost` times are told to save again.
    private func lost(_ items: [Queued], _ state: inout WriterState) -> [Queued] {
        lostRaces.add(1, ordering: .relaxed)
        do {
            try state.repository.discardBatch()
            try state.repository.refreshObjects()
            state.lastTip = nil
        } catch {
            return failed(items, error, &state)
        }
        let retry = items.compactMap { item -> Queued? in
            var item = item
            item.lost += 1
            guard item.lost < CommitQueue.maxLost else {
                item.waiter.resume(throwing: StoreError(.unavailable, "another writer kept moving the branch; nothing was committed, save again"))
                return nil
            }
            return item
        }
        // Jitter so competing processes do not retry in lockstep.
        usleep(UInt32.random(in: 200...(2_000 * UInt32(min(retry.map(\.lost).max() ?? 1, 10)))))
        return retry
    }

    /// A failure before the branch moved — another writer's new pack not yet visible to this handle,
    /// packs consolidated away, a full disk — made nothing durable: the writer starts again on a fresh
    /// handle, so nothing of the failed attempt (objects in memory, a half-written pack) survives it.
    /// Returns the requests to try again; those tried `attempts` times are told the batch failed.
    private func failed(_ items: [Queued], _ error: any Error, _ state: inout WriterState) -> [Queued] {
        do { try reopen(&state) } catch { try? state.repository.discardBatch() }
        let attempt = (items.map(\.failures).max() ?? 0) + 1
        let storeError = error as? StoreError ?? StoreError(.unavailable, "could not write to the repository: \(error)", cause: error)
        var retry: [Queued] = []
        for var item in items {
            item.failures += 1
            if item.failures < CommitQueue.attempts {
                retry.append(item)
            } else {
                item.waiter.resume(throwing: storeError)
            }
        }
        if retry.isEmpty {
            logger.error("commit batch failed; nothing of it was committed", metadata: ["error": "\(error)", "size": "\(items.count)"])
        } else {
            logger.warning("commit batch failed before the branch moved; retrying on a fresh handle", metadata: [
                "error": "\(error)", "attempt": "\(attempt)", "size": "\(items.count)",
            ])
            usleep(UInt32(attempt) * 20_000)
        }
        return retry
    }

    /// Hands a batch to the catalog stage, which records it and answers its callers in order.
    private func answer(_ published: Published, waiters: [Waiter]) {
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
            "catalog_ms": "\(CommitQueue.millis(from: started))",
        ])
        return results
    }

    /// Tries a request at most this often before its caller is told it failed.
    private static let attempts = 3
    /// Compare-and-swaps a request may lose to other writers before its caller is told to save again.
    private static let maxLost = 200

    private func reopen(_ state: inout WriterState) throws {
        state.repository = try CommitQueue.openRepository(state.repository.path, packed: configuration.packedWrites)
        state.lastTip = nil
    }

    private static func millis(from start: UInt64) -> String {
        millis(DispatchTime.now().uptimeNanoseconds - start)
    }

    private static func millis(_ nanoseconds: UInt64) -> String {
        String(format: "%.2f", Double(nanoseconds) / 1e6)
    }

    private func logCleanup(_ cleanup: RefGuard.Cleanup) {
        for removed in cleanup.removed {
            logger.warning("removed a stale ref lock", metadata: ["path": "\(removed.path)", "reason": "\(removed.reason)"])
        }
    }

    /// The service identity, stamped now: every commit of one build shares the time.
    private func committer() -> Signature {
        Signature(name: configuration.committerName, email: configuration.committerEmail)
    }
}
