import FolioSupport
import Foundation

/// Makes a ref update that a killed writer left half-done harmless to the next one.
///
/// libgit2 moves a branch by creating `refs/heads/NAME.lock`, writing the new id into it and renaming it
/// over the ref. A process killed in between leaves the lock file, and every later update of that
/// branch fails until someone removes it. Folio's writers therefore update refs only while holding an
/// exclusive flock on `folio-ref.lock` (the kernel drops it when a holder dies) and mark that file for
/// the time of the update: a writer that gets the flock and finds the mark knows the previous holder
/// died mid-update, so the ref's lock file is stale and can go at once. A lock file
/// without the mark belongs to some other git process (a push): it is waited for, and removed only
/// when it has been there for longer than any live update takes.
public final class RefGuard: Sendable {
    /// How old a ref lock file without Folio's mark must be before it counts as stale.
    public static let foreignLockTimeout: TimeInterval = 10

    private let repositoryPath: String
    private let lock: FileLock

    /// What `withRefLock` found and removed, for the caller to log.
    public struct Cleanup: Sendable {
        /// Ref lock files removed, with why.
        public var removed: [(path: String, reason: String)] = []
    }

    public init(repositoryPath: String) throws {
        self.repositoryPath = repositoryPath
        self.lock = try FileLock(path: repositoryPath + "/folio-ref.lock")
    }

    /// Runs `update` (which moves `reference`) holding the ref flock, after clearing what a dead writer
    /// left on that ref; `cleaned` hears about anything removed.
    ///
    /// `prepare` runs first, holding the flock but not yet marked as updating: work that other Folio
    /// writers must wait for (a contended batch built and packed), during which a foreign lock file may
    /// appear that the mark must not claim.
    public func withRefLock<T>(
        _ reference: String, cleaned: (Cleanup) -> Void = { _ in }, prepare: () throws -> Void = {}, _ update: () throws -> T
    ) throws -> T {
        try lock.lock(exclusive: true)
        defer { lock.unlock() }
        let lockFile = repositoryPath + "/" + reference + ".lock"
        var cleanup = Cleanup()
        if lock.isMarked {
            // The previous holder of the flock died between marking and unmarking: its lock file is stale.
            if unlink(lockFile) == 0 { cleanup.removed.append((lockFile, "left by a Folio writer that died while moving the branch")) }
            try lock.mark(false)
        } else if access(lockFile, F_OK) == 0 {
            cleanup.removed += try waitForForeignLock(lockFile)
        }
        if !cleanup.removed.isEmpty { cleaned(cleanup) }
        try prepare()
        // A push's receive-pack does not take the flock: it may have locked the ref during `prepare`.
        if access(lockFile, F_OK) == 0 {
            let removed = try waitForForeignLock(lockFile)
            if !removed.isEmpty { cleaned(Cleanup(removed: removed)) }
        }
        try lock.mark(true)
        defer { try? lock.mark(false) }
        return try update()
    }

    /// How long the lock file of `reference` has been there, when longer than any live update takes
    /// (for readiness checks; the next update removes it).
    public static func staleLockAge(repositoryPath: String, reference: String) -> TimeInterval? {
        guard let age = FileAge.of(repositoryPath + "/" + reference + ".lock"), age > foreignLockTimeout else { return nil }
        return age
    }

    /// A lock file another git process holds: wait while it may be live, remove it once it is too old.
    private func waitForForeignLock(_ lockFile: String) throws -> [(path: String, reason: String)] {
        while true {
            guard let age = FileAge.of(lockFile) else { return [] }
            if age > RefGuard.foreignLockTimeout {
                guard unlink(lockFile) == 0 else { return [] }
                return [(lockFile, "older than \(Int(RefGuard.foreignLockTimeout)) s with no live writer updating the branch")]
            }
            usleep(20_000)
        }
    }
}
