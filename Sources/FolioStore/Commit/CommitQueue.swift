internal import FolioGit
import FolioSupport
import Foundation
import Logging
import Synchronization

/// The one writer of a repository in this process.
///
/// Saves are queued; a dedicated thread takes everything waiting (up to `maxBatch`), builds one commit per
/// save as a chain on the branch tip, writes all their objects as one fsynced pack, moves the branch once
/// with a compare-and-swap, records the commits in the catalog in one transaction, and only then answers
/// each waiter. A lone save goes straight through; saves that arrive while a write is in flight share the
/// next one (group commit), which is where throughput comes from — never from skipping fsync.
///
/// Across processes the compare-and-swap decides: the loser rebuilds its batch on the new tip (re-checking
/// no-ops and merges against it) and tries again.
final class CommitQueue: @unchecked Sendable {
    private typealias Waiter = CheckedContinuation<[SaveResult], any Error>

    /// Used only on the writer thread (after `init`); replaced when packs were consolidated.
    private var repository: Repository
    /// The branch tip this writer last wrote or saw; when the branch is elsewhere, another writer moved it.
    private var lastTip: ObjectID?
    private let reopenRequested = Atomic<Bool>(false)
    private let catalog: any Catalog
    private let configuration: StoreConfiguration
    private let logger: Logger
    private let onCommit: @Sendable () -> Void
    private let condition = NSCondition()
    private var pending: [(request: WriteRequest, waiter: Waiter)] = []
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(repositoryPath: String, catalog: any Catalog, configuration: StoreConfiguration, logger: Logger, onCommit: @escaping @Sendable () -> Void) throws {
        self.repository = try CommitQueue.openRepository(repositoryPath, packed: configuration.packedWrites)
        self.catalog = catalog
        self.configuration = configuration
        self.logger = logger
        self.onCommit = onCommit
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "folio-commit-writer"
        self.thread = thread
        thread.start()
    }

    /// Queues a change and waits until it is durable in git and recorded in the catalog; one result per
    /// file of the request, in its order.
    func submit(_ request: WriteRequest) async throws -> [SaveResult] {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            condition.lock()
            if stopping {
                condition.unlock()
                waiter.resume(throwing: StoreError(.unavailable, "the store is shutting down"))
                return
            }
            pending.append((request, waiter))
            condition.signal()
            condition.unlock()
        }
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
        condition.lock()
        let wasRunning = !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if pending.isEmpty && stopping {
                condition.unlock()
                finished.signal()
                return
            }
            let count = min(pending.count, max(configuration.maxBatch, 1))
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            condition.unlock()
            write(batch)
        }
    }

    private func write(_ batch: [(request: WriteRequest, waiter: Waiter)]) {
        do {
            if reopenRequested.exchange(false, ordering: .acquiring) {
                repository = try CommitQueue.openRepository(repository.path, packed: configuration.packedWrites)
            }
            let outcomes: [Result<[SaveResult], StoreError>]
            do {
                outcomes = try commitWithRetry(batch.map(\.request))
            } catch let error as GitError where error.code == .notFound {
                // Another process may have consolidated packs this handle still lists: reopen and retry once.
                logger.info("reopening the repository after a missing object", metadata: ["error": "\(error)"])
                repository = try CommitQueue.openRepository(repository.path, packed: configuration.packedWrites)
                outcomes = try commitWithRetry(batch.map(\.request))
            }
            for (index, item) in batch.enumerated() {
                switch outcomes[index] {
                case .success(let result): item.waiter.resume(returning: result)
                case .failure(let error): item.waiter.resume(throwing: error)
                }
            }
            onCommit()
        } catch {
            logger.error("commit batch failed", metadata: ["error": "\(error)", "size": "\(batch.count)"])
            let storeError = error as? StoreError ?? StoreError(.unavailable, "could not write to the repository: \(error)", cause: error)
            for item in batch { item.waiter.resume(throwing: storeError) }
        }
    }

    /// Builds, writes and publishes the batch, rebuilding it on the new tip whenever another writer wins.
    private func commitWithRetry(_ requests: [WriteRequest]) throws -> [Result<[SaveResult], StoreError>] {
        var attempt = 0
        while true {
            attempt += 1
            let started = DispatchTime.now().uptimeNanoseconds
            let tip = try repository.resolveReference(configuration.branchReference)
            if tip != lastTip {
                // Another process (or a consolidation) wrote packs this handle has not listed yet.
                try repository.refreshObjects()
                lastTip = tip
            }
            let built = try CommitBuilder(repository: repository, committer: committer()).build(requests, on: tip)
            let builtAt = DispatchTime.now().uptimeNanoseconds
            guard let newTip = built.newTip else {
                // Nothing to commit (no-ops and refusals only); the catalog may still lag other writers.
                if let tip { try Ingest.catchUp(repository: repository, catalog: catalog, to: tip) }
                return try built.outcomes.map { try $0.results(from: catalog) }
            }
            var flushedAt = builtAt
            do {
                // A cheap look before the fsync: if the branch already moved, rebuild without writing a pack.
                guard try repository.resolveReference(configuration.branchReference) == tip else {
                    throw GitError(code: .modified, function: "resolveReference", message: "branch moved")
                }
                try repository.flushBatch()
                flushedAt = DispatchTime.now().uptimeNanoseconds
                try repository.updateReference(configuration.branchReference, to: newTip, expected: tip, logMessage: "folio: \(built.records.count) commit(s)")
            } catch let error as GitError where [.modified, .locked, .exists].contains(error.code) && attempt < 200 {
                try repository.discardBatch()
                try repository.refreshObjects()
                // Jitter so competing processes do not retry in lockstep.
                usleep(UInt32.random(in: 200...(2_000 * UInt32(min(attempt, 10)))))
                continue
            }
            Failpoint.afterRef.hit()
            lastTip = newTip
            let publishedAt = DispatchTime.now().uptimeNanoseconds
            let known = Dictionary(uniqueKeysWithValues: built.records.map { ($0.commit, $0) })
            try Ingest.catchUp(repository: repository, catalog: catalog, to: newTip, known: known)
            // Where a group commit's time goes, for operators tuning throughput (FOLIO_LOG_LEVEL=debug).
            let millis = { (from: UInt64, to: UInt64) in String(format: "%.2f", Double(to - from) / 1e6) }
            logger.debug("group commit", metadata: [
                "saves": "\(requests.count)", "build_ms": "\(millis(started, builtAt))", "pack_ms": "\(millis(builtAt, flushedAt))",
                "ref_ms": "\(millis(flushedAt, publishedAt))", "catalog_ms": "\(millis(publishedAt, DispatchTime.now().uptimeNanoseconds))",
            ])
            Failpoint.afterCatalog.hit()
            return try built.outcomes.map { try $0.results(from: catalog) }
        }
    }

    /// The service identity, stamped now: every commit of a batch shares the time.
    private func committer() -> Signature {
        Signature(name: configuration.committerName, email: configuration.committerEmail)
    }
}
