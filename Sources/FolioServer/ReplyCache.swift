import Foundation
import Synchronization

/// Encoded document replies by file key and commit, so loading a popular document does not encode
/// the same JSON again on every request. A reply is fully determined by the file and the commit (the
/// catalog row of that revision and the blob it names never change), so entries never go stale; a
/// request still asks the catalog which commit is current. Bounded by bytes: when full it starts over,
/// which costs one encoding per document and needs no bookkeeping on the hot path.
final class ReplyCache: Sendable {
    private struct State {
        var entries: [String: Data] = [:]
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

    func reply(key: String, commit: String) -> Data? {
        state.withLock { $0.entries[key + "@" + commit] }
    }

    func store(_ data: Data, key: String, commit: String) {
        guard data.count <= largestEntry else { return }
        state.withLock { state in
            if state.bytes + data.count > capacity {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            if state.entries.updateValue(data, forKey: key + "@" + commit) == nil { state.bytes += data.count }
        }
    }
}
