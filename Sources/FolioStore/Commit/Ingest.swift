internal import FolioGit
import FolioSupport
import Foundation

/// Brings the catalog up to a commit by reading git: after a crash between git and the catalog, after
/// another process's save, after a `git push`, or from nothing (`folio reindex`).
enum Ingest {
    /// What the catalog learns from `commit`, read from git alone.
    static func record(for commit: ObjectID, in repository: Repository) throws -> CommitRecord {
        let info = try repository.commit(commit)
        // Folio's trailers say what each file's change meant (a restore looks like an update otherwise);
        // commits made elsewhere have none, and the tree diff alone decides.
        let intended = CommitMessage.actions(in: info.trailers)
        var changes: [CommitRecord.Change] = []
        for change in try repository.changes(in: commit) {
            // Files that are not Folio documents (a README pushed by hand) are not catalogued.
            guard let key = try? FileKey(parsing: change.path) else { continue }
            let action: Action = if change.newBlob == nil {
                .delete
            } else {
                intended[change.path] ?? (change.oldBlob == nil ? .create : .update)
            }
            var size = 0
            var metadata: String?
            if let blob = change.newBlob {
                let data = try repository.readBlob(blob)
                size = data.count
                metadata = (try? Envelope.decode(data)).map { JSONValue.object($0.metadata).canonicalText }
            }
            changes.append(CommitRecord.Change(key: key, action: action, blob: change.newBlob, size: size, metadata: metadata))
        }
        return CommitRecord(
            commit: commit, author: info.author.name, committedAt: info.committer.time,
            message: CommitMessage.userMessage(of: info.message, trailers: info.trailers), changes: changes)
    }

    /// Records every commit between the catalog's ingested tip and `target` (first-parent order), using
    /// `known` for commits the caller just wrote and git for the rest. Safe against other writers: each
    /// chunk is applied only on top of the tip it was computed from, else the loop starts over.
    static func catchUp(
        repository: Repository, catalog: any Catalog, to target: ObjectID, known: [ObjectID: CommitRecord] = [:],
        chunkSize: Int = 500, progress: ((Int, Int) -> Void)? = nil
    ) throws {
        var refreshed = false
        while true {
            let tip = try catalog.ingestedTip()
            if tip == target { return }
            if let tip {
                do {
                    if try repository.isAncestor(target, of: tip) { return }
                } catch let error as GitError where error.code == .notFound && !refreshed {
                    // Another process wrote a pack this handle has not seen yet.
                    try repository.refreshObjects()
                    refreshed = true
                    continue
                }
            }
            let chain = try repository.firstParentChain(from: target, stoppingAt: tip)
            var expected = tip
            var done = 0
            var lostRace = false
            for start in stride(from: 0, to: chain.count, by: chunkSize) {
                let slice = chain[start..<min(start + chunkSize, chain.count)]
                let records = try slice.map { try known[$0] ?? record(for: $0, in: repository) }
                let newTip = slice[slice.endIndex - 1]
                guard try catalog.apply(records, newTip: newTip, expectedTip: expected, now: Date()) else {
                    lostRace = true
                    break
                }
                expected = newTip
                done += slice.count
                progress?(done, chain.count)
            }
            if !lostRace { return }
        }
    }
}
