import FolioGit
import Foundation
import Synchronization

/// Repository handles for reads, so loads, history and diffs never wait for the commit writer
/// (libgit2 handles are single-threaded; each read borrows one, and new ones are opened on demand).
final class ReaderPool: Sendable {
    private let path: String
    private let idle = Mutex<[Repository]>([])
    private let maxIdle: Int

    init(path: String, maxIdle: Int = 16) {
        self.path = path
        self.maxIdle = maxIdle
    }

    /// Lends a handle to `body`; a missing object triggers one refresh, since another writer's new pack
    /// may not be known to an older handle yet.
    func withRepository<T>(_ body: (Repository) throws -> T) throws -> T {
        let repository = try idle.withLock { $0.popLast() } ?? Repository.open(at: path)
        defer {
            idle.withLock { handles in
                if handles.count < maxIdle { handles.append(repository) }
            }
        }
        do {
            return try body(repository)
        } catch let error as GitError where error.code == .notFound {
            try repository.refreshObjects()
            return try body(repository)
        }
    }
}
