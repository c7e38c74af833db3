internal import FolioGit
import FolioSupport
import Foundation
import Synchronization

/// Reads the records of a chunk of commits for `Ingest`, either on the caller's thread or ahead of it.
///
/// Rebuilding a catalog is mostly reading git (commits, trees, the last envelope of each file) and the
/// rest is the catalog's transaction. Run in parallel, the next chunk is read while the current one is
/// applied, and each chunk is split across `lanes` repository handles (libgit2 handles are
/// single-threaded, so each lane owns one): on two cores that roughly halves a reindex.
struct ChunkReader: Sendable {
    /// Fewer unknown commits than this are read on the caller's thread: opening handles costs more.
    static let parallelThreshold = 2_000
    /// Handles reading at once; more than the machine's cores only adds contention.
    static let lanes = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))

    private enum Mode: Sendable {
        case inline(Repository)
        case parallel([Repository])
    }

    private let mode: Mode
    private let known: [ObjectID: CommitRecord]

    static func inline(_ repository: Repository, known: [ObjectID: CommitRecord]) -> ChunkReader {
        ChunkReader(mode: .inline(repository), known: known)
    }

    /// Opens `lanes` handles of their own, so the caller's handle is never used from another thread.
    static func parallel(path: String, lanes: Int, known: [ObjectID: CommitRecord]) throws -> ChunkReader {
        ChunkReader(mode: .parallel(try (0..<lanes).map { _ in try Repository.open(at: path) }), known: known)
    }

    /// Starts reading `chunk`; the records come from the returned pending value, oldest first.
    func start(_ chunk: ArraySlice<ObjectID>) -> Pending {
        switch mode {
        case .inline(let repository):
            return Pending(result: Result { try Ingest.records(for: chunk, in: repository, known: known) })
        case .parallel(let handles):
            let pending = Pending()
            let known = self.known
            DispatchQueue.global().async {
                // Each lane reads a contiguous part, so within it a commit's parent tree is the one just read.
                let parts = ChunkReader.split(chunk, into: handles.count)
                let results = Mutex([Result<[CommitRecord], any Error>?](repeating: nil, count: parts.count))
                DispatchQueue.concurrentPerform(iterations: parts.count) { lane in
                    let result = Result { try Ingest.records(for: parts[lane], in: handles[lane], known: known) }
                    results.withLock { $0[lane] = result }
                }
                pending.fulfil(Result {
                    try results.withLock { results in try results.flatMap { try $0!.get() } }
                })
            }
            return pending
        }
    }

    private static func split(_ chunk: ArraySlice<ObjectID>, into count: Int) -> [ArraySlice<ObjectID>] {
        let size = (chunk.count + count - 1) / max(count, 1)
        return stride(from: chunk.startIndex, to: chunk.endIndex, by: max(size, 1)).map { chunk[$0..<min($0 + size, chunk.endIndex)] }
    }

    /// A chunk's records, once read.
    final class Pending: Sendable {
        private let result = Mutex<Result<[CommitRecord], any Error>?>(nil)
        private let ready = DispatchSemaphore(value: 0)

        init() {}

        init(result: Result<[CommitRecord], any Error>) {
            self.result.withLock { $0 = result }
            ready.signal()
        }

        func fulfil(_ value: Result<[CommitRecord], any Error>) {
            result.withLock { $0 = value }
            ready.signal()
        }

        /// Waits for the records; may be called more than once.
        func value() throws -> [CommitRecord] {
            ready.wait()
            ready.signal()
            return try result.withLock { $0! }.get()
        }
    }
}
