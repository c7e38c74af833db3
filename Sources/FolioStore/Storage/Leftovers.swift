import FolioSupport
import Foundation
import Logging

/// Finds and removes what killed writers leave behind: temporary pack files and indexes in
/// `objects/pack`, libgit2's temporary objects, and the local mirror's temporary files. Nothing here
/// blocks a save (a stale ref lock is the `RefGuard`'s business); it is garbage that would pile up.
///
/// Every Folio process that opens a store holds a shared flock on `folio-writers.lock` in the repository
/// for its whole life. Whoever can take it exclusively is the only Folio process alive, so every temporary
/// file it finds is a dead writer's; otherwise only files older than any live write takes are removed.
final class Leftovers: Sendable {
    /// How old a temporary file must be to count as dead while other Folio processes are alive.
    static let liveWriterGrace: TimeInterval = 3600
    /// Even alone, spare git's own temporary packs this fresh: a `git push` may be writing them.
    static let foreignGrace: TimeInterval = 60

    private let lease: FileLock
    private let repositoryPath: String
    private let mirrorRoot: String?
    private let logger: Logger

    /// Takes the process's shared lease on the repository (held until this object goes).
    init(repositoryPath: String, mirrorRoot: String?, logger: Logger) throws {
        self.repositoryPath = repositoryPath
        self.mirrorRoot = mirrorRoot
        self.logger = logger
        self.lease = try FileLock(path: repositoryPath + "/folio-writers.lock")
        try lease.lock(exclusive: false)
    }

    /// Removes dead writers' temporary files; returns their paths (also logged).
    @discardableResult
    func clean() -> [String] {
        // Alone: every leftover is a dead process's. The exclusive attempt must not wait for live peers.
        let alone = (try? lease.lock(exclusive: true, wait: false)) ?? false
        defer { if alone { _ = try? lease.lock(exclusive: false) } }
        // Folio's own temporaries (libgit2's, and PackFile's with a 32-digit `TemporaryName`) have no
        // other writer.
        let grace = alone ? 0 : Leftovers.liveWriterGrace
        var removed: [String] = []
        let packs = repositoryPath + "/objects/pack"
        removed += remove(in: packs, olderThan: grace) { name in
            name.hasPrefix("pack_git2_") || ((name.hasPrefix("tmp_pack_") || name.hasPrefix("tmp_idx_")) && name.count > 30)
        }
        // git's index-pack (a push) names its temporaries tmp_pack_XXXXXX.
        removed += remove(in: packs, olderThan: max(grace, Leftovers.foreignGrace)) { name in
            (name.hasPrefix("tmp_pack_") || name.hasPrefix("tmp_idx_")) && name.count <= 30
        }
        if let folders = try? FileManager.default.contentsOfDirectory(atPath: repositoryPath + "/objects") {
            for folder in folders where folder.count == 2 {
                removed += remove(in: repositoryPath + "/objects/" + folder, olderThan: grace) { $0.hasPrefix("tmp_object") }
            }
        }
        if let mirrorRoot {
            removed += removeMirrorTemporaries(under: mirrorRoot, olderThan: grace)
        }
        for path in removed {
            logger.warning("removed a file a dead writer left behind", metadata: ["path": "\(path)", "alone": "\(alone)"])
        }
        return removed
    }

    private func remove(in folder: String, olderThan grace: TimeInterval, where matches: (String) -> Bool) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter(matches).compactMap { name in
            let path = folder + "/" + name
            return isOlder(path, than: grace) && unlink(path) == 0 ? path : nil
        }
    }

    /// The local mirror writes `.NAME.json.TOKEN.tmp` beside the file it replaces.
    private func removeMirrorTemporaries(under root: String, olderThan grace: TimeInterval) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var removed: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name.hasPrefix("."), name.hasSuffix(".tmp") else { continue }
            let path = root + "/" + relative
            if isOlder(path, than: grace) && unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    private func isOlder(_ path: String, than grace: TimeInterval) -> Bool {
        (FileAge.of(path) ?? -1) >= grace
    }
}
