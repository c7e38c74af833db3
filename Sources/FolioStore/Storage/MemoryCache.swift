import Synchronization

/// Values by key, bounded by the bytes each is said to cost, least recently used out first. For values
/// that never go stale — envelopes by blob id, encoded replies by file and commit — so a hit needs no
/// check against the repository. Values larger than `largestEntry` are not kept: they would push out
/// many small ones.
public final class MemoryCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var cost: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let largestEntry: Int

    /// A cache holding at most `capacity` bytes (0 disables it), of entries up to `largestEntry` each.
    public init(capacity: Int, largestEntry: Int) {
        self.capacity = capacity
        self.largestEntry = largestEntry
    }

    /// The value under `key`, marked as just used.
    public func value(forKey key: Key) -> Value? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.value
        }
    }

    /// Keeps `value` unless it costs more than an entry may, evicting the least recently used past capacity.
    public func store(_ value: Value, forKey key: Key, cost: Int) {
        guard capacity > 0, cost <= largestEntry else { return }
        state.withLock { state in
            guard state.entries[key] == nil else { return }
            state.clock += 1
            state.entries[key] = Entry(value: value, cost: cost, lastUse: state.clock)
            state.bytes += cost
            if state.bytes > capacity {
                // Evict the oldest quarter in one pass, so eviction cost is amortised over many inserts.
                let victims = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, state.entries.count / 4))
                for (key, entry) in victims {
                    state.entries[key] = nil
                    state.bytes -= entry.cost
                }
            }
        }
    }
}
