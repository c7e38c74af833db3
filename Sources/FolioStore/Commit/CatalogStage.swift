internal import FolioGit
import Foundation
import Synchronization

/// The last stage of the commit writer: records published batches in the catalog and answers their
/// callers, in the order the batches reached the branch, on a thread of its own — so the writer and
/// the publisher go on with the next batches instead of waiting for the catalog's transaction.
///
/// At most `depth` batches wait here; whoever hands on a batch (the publisher, or the writer for a batch
/// that changed nothing) blocks beyond that, which bounds the memory held by answered-to-be batches and
/// keeps the catalog at most that far behind the branch.
final class CatalogStage: Sendable {
    /// A batch's remaining work, given the stage's own repository handle (libgit2 handles are
    /// single-threaded, and the writer keeps using its own).
    typealias Job = @Sendable (Repository) -> Void

    private struct Jobs {
        var queue: [Job] = []
        var stopping = false
    }

    private let jobs = Mutex(Jobs())
    private let available = DispatchSemaphore(value: 0)
    private let slots: DispatchSemaphore
    private let finished = DispatchSemaphore(value: 0)
    /// Used on the stage's thread only; catch-up refreshes it when another writer's packs are missing.
    private let repository: Repository

    init(repositoryPath: String, depth: Int = 2) throws {
        self.repository = try Repository.open(at: repositoryPath)
        self.slots = DispatchSemaphore(value: depth)
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "folio-commit-catalog"
        thread.start()
    }

    /// Queues a batch's remaining work; waits while `depth` batches are already queued.
    func enqueue(_ job: @escaping Job) {
        slots.wait()
        jobs.withLock { $0.queue.append(job) }
        available.signal()
    }

    /// Runs what is queued, then stops the thread. Called once the writer has stopped.
    func shutdown() {
        jobs.withLock { $0.stopping = true }
        available.signal()
        finished.wait()
    }

    private func run() {
        while true {
            available.wait()
            let (job, stop) = jobs.withLock { jobs -> (Job?, Bool) in
                if jobs.queue.isEmpty { return (nil, jobs.stopping) }
                return (jobs.queue.removeFirst(), false)
            }
            if stop {
                finished.signal()
                return
            }
            guard let job else { continue }
            job(repository)
            slots.signal()
        }
    }
}
