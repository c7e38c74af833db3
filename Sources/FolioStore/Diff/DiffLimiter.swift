import FolioSupport
import Synchronization

/// Bounds how many large diffs run at once. A diff of large documents keeps a core (and the thread that
/// asked) busy for up to a few tenths of a second, so a burst of them could take every core from saves
/// and health checks. A diff whose input (both versions' content, in UTF-8 bytes) is over
/// `largeInputBytes` needs one of `maxLargeDiffs` slots; when none is free it is refused at once with
/// `StoreError(.unavailable, ...)` (HTTP 503), rather than parked on a thread that others need. Smaller
/// diffs are never limited.
final class DiffLimiter: Sendable {
    /// Inputs larger than this count as large.
    let largeInputBytes: Int
    /// How many large diffs may run at once.
    let maxLargeDiffs: Int
    private let running = Mutex(0)
    private let heapTrim: HeapTrim

    init(maxLargeDiffs: Int = 2, largeInputBytes: Int = 256 * 1024, heapTrim: HeapTrim = .shared) {
        self.maxLargeDiffs = maxLargeDiffs
        self.largeInputBytes = largeInputBytes
        self.heapTrim = heapTrim
    }

    /// How many large diffs are running now.
    var largeDiffsRunning: Int { running.withLock { $0 } }

    /// Runs `body`, the diff of `inputBytes` bytes, if it is small or a slot is free; throws `.unavailable`
    /// otherwise.
    func run<Result>(inputBytes: Int, _ body: () throws -> Result) throws -> Result {
        guard inputBytes > largeInputBytes else { return try body() }
        let admitted = running.withLock { count in
            guard count < maxLargeDiffs else { return false }
            count += 1
            return true
        }
        guard admitted else { throw StoreError(.unavailable, "too many large diffs at once; try again") }
        defer {
            running.withLock { $0 -= 1 }
            // The diff's working memory is freed with it; give it back to the system, not just to malloc.
            heapTrim.afterLargeWork()
        }
        return try body()
    }
}
