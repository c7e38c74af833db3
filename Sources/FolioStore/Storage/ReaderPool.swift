internal import FolioGit
import Foundation
import Synchronization

/// Repository handles for reads, so loads, history and diffs never wait for the commit writer
/// (libgit2 handles are single-threaded; each read borrows one, and new ones are opened on demand).
final class ReaderPool: Sendable {
    private let path: String
    /// Idle handles, and how many times the pool was invalidated: a handle opened before an invalidation
    /// is not given back.
    private let state = Mutex<(handles: [Repository], generation: Int)>(([], 0))
    private let maxIdle: Int

    init(path: String, maxIdle: Int = 16) {
        self.path = path
        self.maxIdle = maxIdle
    }

    /// Drops every idle handle; called after packs were consolidated, since old handles still list the
    /// packs that were removed.
    func invalidate() {
        state.withLock { state in
            state.handles.removeAll()
            state.generation += 1
        }
    }

    /// Lends a handle to `body`. When a read fails with a git error the handle is discarded and the read
    /// tried once more on a fresh one: another writer's new pack, or packs replaced by consolidation,
    /// are then seen.
    func withRepository<T>(_ body: (Repository) throws -> T) throws -> T {
        let (borrowed, generation) = state.withLock { state -> (Repository?, Int) in
            (state.handles.popLast(), state.generation)
        }
        let repository = try borrowed ?? Repository.open(at: path)
        do {
            let value = try body(repository)
            giveBack(repository, generation)
            return value
        } catch is GitError {
            let fresh = try Repository.open(at: path)
            let value = try body(fresh)
            giveBack(fresh, generation)
            return value
        }
    }

    private func giveBack(_ repository: Repository, _ generation: Int) {
        state.withLock { state in
            if state.generation == generation && state.handles.count < maxIdle {
                state.handles.append(repository)
            }
        }
    }
}
