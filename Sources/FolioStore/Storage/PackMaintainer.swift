internal import FolioGit
import Foundation
import Logging

/// Keeps object storage bounded: every group commit writes a small pack, and many packs make every
/// lookup search many indexes. After commits this thread counts the packs and, past a threshold,
/// consolidates them into one — off the writer's thread, so saves never wait for it.
final class PackMaintainer: Sendable {
    private let path: String
    private let threshold: Int
    private let logger: Logger
    private let afterConsolidation: @Sendable () -> Void
    /// Consolidation reads and writes every byte of the packs it merges and is never urgent: it yields
    /// to saves and reads.
    private let loop = BackgroundLoop(name: "folio-packs", niceness: 10)

    init(path: String, threshold: Int, logger: Logger, afterConsolidation: @escaping @Sendable () -> Void) {
        self.path = path
        self.threshold = threshold
        self.logger = logger
        self.afterConsolidation = afterConsolidation
    }

    /// Starts the thread that checks the pack count after commits. Called once, before the store is shared.
    func start() {
        loop.start { [unowned self] in self.consolidateIfNeeded() }
    }

    /// Asks for a check (called after each commit).
    func signal() { loop.signal() }

    /// Stops the thread after its current pass.
    func stop() { loop.stop() }

    private func consolidateIfNeeded() {
        do {
            guard Repository.packCount(inRepositoryAt: path) > threshold else { return }
            _ = try consolidate(try Repository.open(at: path), full: false)
        } catch {
            logger.warning("pack consolidation failed; will try again after more commits", metadata: ["error": "\(error)"])
        }
    }

    /// Consolidates now (`full`: everything, as `folio gc` does; otherwise geometrically), then lets
    /// readers and the writer drop their stale handles.
    func consolidate(_ repository: Repository, full: Bool) throws -> RepackResult {
        let result = try repository.consolidatePacks(full: full)
        afterConsolidation()
        logger.info("consolidated packs", metadata: [
            "packs_before": "\(result.packsBefore)", "objects": "\(result.objects)", "bytes_after": "\(result.bytesAfter)",
        ])
        return result
    }
}
