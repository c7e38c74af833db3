import Foundation
import Synchronization

/// Encoded document replies by file key and commit, so loading a popular document does not encode
/// the same JSON again on every request. A reply is fully determined by the file and the commit (the
/// catalog row of that revision and the blob it names never change), so entries never go stale; a
/// request still asks the catalog which commit is current. Bounded by bytes: when full it starts over,
/// which costs one encoding per document and needs no bookkeeping on the hot path.
final class ReplyCache: Sendable {
    private struct State {
        var entries: [String: [UInt8]] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    /// Larger replies are not kept: they would push out many small ones and are rarely re-read quickly.
    private let largestEntry: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.largestEntry = capacity / 16
    }

    func reply(key: String, commit: String) -> [UInt8]? {
        state.withLock { $0.entries[key + "@" + commit] }
    }

    func store(_ data: Data, key: String, commit: String) {
        guard data.count <= largestEntry else { return }
        let name = key + "@" + commit
        // Copied to an exactly sized array: the encoder's buffer usually has room to spare, which the
        // cache would otherwise keep alive. The key and the table's own overhead count too.
        let bytes = Array(data)
        let cost = bytes.count + name.utf8.count + ReplyCache.entryOverhead
        state.withLock { state in
            if state.bytes + cost > capacity {
                state.entries.removeAll()
                state.bytes = 0
            }
            if state.entries.updateValue(bytes, forKey: name) == nil { state.bytes += cost }
        }
    }

    /// Roughly what a dictionary slot and two heap allocations (key and bytes) cost beyond their contents.
    private static let entryOverhead = 96
}
