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

    /// Whether the lock file holds a mark: a byte its holder writes while it is in the middle of
    /// something, and clears when done — so the next holder can tell that a predecessor died mid-way.
    /// (A write to an open file, not a file created and removed: no folder entry changes.)
    public var isMarked: Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && info.st_size > 0
    }

    /// Sets or clears the mark.
    public func mark(_ on: Bool) throws {
        if on {
            var byte: UInt8 = 1
            guard pwrite(descriptor, &byte, 1, 0) == 1 else { throw SystemError.errno("pwrite", path) }
        } else {
            guard ftruncate(descriptor, 0) == 0 else { throw SystemError.errno("ftruncate", path) }
        }
    }
}
