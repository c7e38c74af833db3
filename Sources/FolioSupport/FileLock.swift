import Foundation

/// An advisory lock on a file (flock(2)), held through an open descriptor. The kernel drops it when the
/// process dies, however it dies — which is what lets a writer tell a live writer's work from a dead
/// one's leftovers.
public final class FileLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Int32

    /// Opens (creating if needed) the lock file at `path`; no lock is held yet.
    public init(path: String) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemError.errno("open", path) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock shared (many holders) or exclusive, waiting for it unless `wait` is false; returns
    /// false when it would have had to wait. Taking it in the other mode converts the lock held.
    @discardableResult
    public func lock(exclusive: Bool, wait: Bool = true) throws -> Bool {
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        while flock(descriptor, operation) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw SystemError.errno("flock", path)
        }
        return true
    }

    /// Releases the lock.
    public func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }
}
