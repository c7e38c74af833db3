import FolioStore
import FolioSupport
import Foundation

/// Encoded document replies by file key and commit, so loading a popular document does not encode
/// the same JSON again on every request. A reply is fully determined by the file and the commit (the
/// catalog row of that revision and the blob it names never change), so entries never go stale; a
/// request still asks the catalog which commit is current.
struct ReplyCache: Sendable {
    private struct Name: Hashable, Sendable {
        var key: String
        var commit: ObjectID
    }

    private let cache: MemoryCache<Name, [UInt8]>

    init(capacity: Int) {
        // Larger replies are not kept: they would push out many small ones and are rarely re-read quickly.
        cache = MemoryCache(capacity: capacity, largestEntry: capacity / 16)
    }

    func reply(key: String, commit: ObjectID) -> [UInt8]? {
        cache.value(forKey: Name(key: key, commit: commit))
    }

    func store(_ data: Data, key: String, commit: ObjectID) {
        let name = Name(key: key, commit: commit)
        // Copied to an exactly sized array: the encoder's buffer usually has room to spare, which the
        // cache would otherwise keep alive. The key and the table's own overhead count too.
        let bytes = Array(data)
        cache.store(bytes, forKey: name, cost: bytes.count + key.utf8.count + commit.hex.utf8.count + ReplyCache.entryOverhead)
    }

    /// Roughly what a dictionary slot and two heap allocations (key and bytes) cost beyond their contents.
    private static let entryOverhead = 96
}
