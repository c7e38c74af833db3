internal import CFolioSupport
import Dispatch
import Synchronization

/// Gives the heap's free memory back to the system shortly after work on large inputs.
///
/// A 5 MB document's load or word diff allocates tens of megabytes that are freed when the reply has
/// been sent, but glibc keeps freed memory in its arenas for reuse, so without this a server stays as
/// large as its peak (hundreds of megabytes after a few large diffs). Calls are coalesced: one trim runs
/// `delay` after the first call of a burst, late enough that the reply's own buffers are gone too.
public final class HeapTrim: Sendable {
    /// The process's one trimmer.
    public static let shared = HeapTrim()

    private let scheduled = Mutex(false)
    private let delay: DispatchTimeInterval
    private let trims = Atomic<Int>(0)

    public init(delay: DispatchTimeInterval = .milliseconds(200)) {
        self.delay = delay
    }

    /// How many trims have run (for tests and logs).
    public var trimCount: Int { trims.load(ordering: .relaxed) }

    /// Schedules a trim unless one is already pending.
    public func afterLargeWork() {
        let first = scheduled.withLock { scheduled in
            defer { scheduled = true }
            return !scheduled
        }
        guard first else { return }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + delay) { [self] in
            scheduled.withLock { $0 = false }
            releaseNow()
        }
    }

    /// Trims at once; returns whether memory was released.
    @discardableResult
    public func releaseNow() -> Bool {
        trims.add(1, ordering: .relaxed)
        return folio_release_free_heap() == 1
    }
}
