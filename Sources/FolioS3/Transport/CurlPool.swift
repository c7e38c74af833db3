import Synchronization

/// Idle curl handles kept for reuse, so requests from any thread find a warm connection.
final class CurlPool: Sendable {
    private let idle = Mutex<[CurlEasy]>([])
    private let capacity: Int

    /// A pool keeping at most `capacity` idle handles; more may exist while requests overlap.
    init(capacity: Int = 8) {
        self.capacity = capacity
    }

    /// Runs `body` with a handle no other thread is using, then returns it to the pool.
    func withHandle<Result>(_ body: (CurlEasy) throws -> Result) throws -> Result {
        let easy = try idle.withLock { $0.popLast() } ?? CurlEasy()
        defer {
            idle.withLock { handles in
                if handles.count < capacity {
                    handles.append(easy)
                }
            }
        }
        return try body(easy)
    }
}
