import Foundation
import Synchronization

/// Recently read envelopes by blob id. A blob never changes, so entries never go stale; the cache only
/// saves the git read and JSON decode on repeated loads of popular files. Bounded by bytes, least
/// recently used out first.
final class EnvelopeCache: Sendable {
    private struct Entry {
        var envelope: Envelope
        var size: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    /// A cache holding at most `capacity` bytes of envelopes (0 disables it).
    init(capacity: Int) {
        self.capacity = capacity
    }

    func envelope(forBlob blob: String) -> Envelope? {
        state.withLock { state in
            guard var entry = state.entries[blob] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[blob] = entry
            return entry.envelope
        }
    }

    func store(_ envelope: Envelope, forBlob blob: String, size: Int) {
        // Entries larger than an eighth of the cache would evict too much to be worth keeping.
        guard capacity > 0, size <= capacity / 8 else { return }
        state.withLock { state in
            guard state.entries[blob] == nil else { return }
            state.clock += 1
            state.entries[blob] = Entry(envelope: envelope, size: size, lastUse: state.clock)
            state.bytes += size
            if state.bytes > capacity {
                // Evict the oldest quarter in one pass, so eviction cost is amortised over many inserts.
                let victims = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, state.entries.count / 4))
                for (key, entry) in victims {
                    state.entries[key] = nil
                    state.bytes -= entry.size
                }
            }
        }
    }
}
