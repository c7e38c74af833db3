internal import FolioGit
import Foundation

/// What `verifyMirror` found.
public struct MirrorReport: Sendable, Equatable, Codable {
    /// Live files checked.
    public var checked = 0
    /// Files the mirror did not have.
    public var missing = 0
    /// Files the mirror had at another version.
    public var stale = 0
    /// Objects in the mirror for files that do not exist (deleted, or never Folio's).
    public var orphans = 0
    /// Writes that repaired drift.
    public var repaired = 0
    /// Repairs that failed (see `folio mirror status`).
    public var failed = 0
}

extension DocumentStore {
    /// A description of the configured mirror, for status output.
    public var mirrorDescription: String { mirror?.description ?? "none" }

    /// Compares every live file with the mirror and, with `repair`, rewrites what differs and removes
    /// objects of files that do not exist.
    public func verifyMirror(repair: Bool, progress: ((Int, Int) -> Void)? = nil) throws -> MirrorReport {
        guard let mirror else { return MirrorReport() }
        leftovers.clean()
        var report = MirrorReport()
        let repository = try Repository.open(at: configuration.repositoryPath)
        let files = try repository.resolveReference(configuration.branchReference).map { try repository.listFiles(inCommit: $0) } ?? []
        var live = Set<String>()
        for (index, file) in files.enumerated() {
            guard let key = try? FileKey(parsing: file.path), let commit = try catalog.document(key)?.commit else { continue }
            live.insert(key.path)
            report.checked += 1
            let holds: Bool?
            do {
                holds = try mirror.holds(key, commit: commit) { try repository.readBlob(file.blob) }
            } catch {
                throw StoreError(.unavailable, "the mirror cannot be read: \(error)", cause: error)
            }
            switch holds {
            case nil: report.missing += 1
            case false?: report.stale += 1
            case true?: break
            }
            if holds != true && repair { try catalog.enqueueMirror(key.path, commit: commit, now: Date()) }
            progress?(index + 1, files.count)
        }
        for path in try mirror.listKeys() where !live.contains(path) {
            report.orphans += 1
            if repair, let key = try? FileKey(parsing: path) {
                do {
                    try mirror.remove(key)
                    report.repaired += 1
                } catch {
                    report.failed += 1
                }
            }
        }
        if repair {
            let drained = flushMirror(includeBackingOff: true)
            report.repaired += drained.mirrored
            report.failed += drained.failed
        }
        return report
    }

    /// Queues every live file for the mirror and publishes them all now (`folio mirror sync`).
    public func syncMirror(progress: ((Int, Int) -> Void)? = nil) throws -> (mirrored: Int, failed: Int) {
        _ = try requeueAllForMirror()
        return flushMirror(includeBackingOff: true, progress: progress)
    }
}
