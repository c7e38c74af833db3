import FolioGit
import Foundation
import Logging

/// Keeps object storage bounded: every group commit writes a small pack, and many packs make every
/// lookup search many indexes. After commits this thread counts the packs and, past a threshold,
/// consolidates them into one — off the writer's thread, so saves never wait for it.
final class PackMaintainer: @unchecked Sendable {
    private let path: String
    private let threshold: Int
    private let logger: Logger
    private let afterConsolidation: @Sendable () -> Void
    private let condition = NSCondition()
    private var wake = false
    private var stopping = false
    private var running = false
    private let finished = DispatchSemaphore(value: 0)

    init(path: String, threshold: Int, logger: Logger, afterConsolidation: @escaping @Sendable () -> Void) {
        self.path = path
        self.threshold = threshold
        self.logger = logger
        self.afterConsolidation = afterConsolidation
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "folio-packs"
        thread.start()
    }

    func signal() {
        condition.lock()
        wake = true
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        let wasRunning = running
        stopping = true
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while !wake && !stopping { condition.wait() }
            wake = false
            let stop = stopping
            condition.unlock()
            if stop { finished.signal(); return }
            do {
                let repository = try Repository.open(at: path)
                guard try repository.packFiles().count > threshold else { continue }
                _ = try consolidate(repository, full: false)
            } catch {
                logger.warning("pack consolidation failed; will try again after more commits", metadata: ["error": "\(error)"])
            }
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
