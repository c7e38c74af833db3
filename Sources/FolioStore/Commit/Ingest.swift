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
            commit: commit, author: info.author.name, token: info.trailer(CommitMessage.tokenTrailer), committedAt: info.committer.time,
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
            do {
                if try catchUpOnce(repository: repository, catalog: catalog, to: target, known: known, chunkSize: chunkSize, progress: progress) {
                    return
                }
            } catch is GitError where !refreshed {
                // Another process wrote a pack this handle has not seen yet (libgit2 reports that as
                // "object not found", from git_graph_descendant_of with a generic code): look again.
                try repository.refreshObjects()
                refreshed = true
            }
        }
    }

    /// One pass: true when the catalog reached `target`, false when another writer moved its tip first.
    private static func catchUpOnce(
        repository: Repository, catalog: any Catalog, to target: ObjectID, known: [ObjectID: CommitRecord],
        chunkSize: Int, progress: ((Int, Int) -> Void)?
    ) throws -> Bool {
        let tip = try catalog.ingestedTip()
        if tip == target { return true }
        if let tip, try repository.isAncestor(target, of: tip) { return true }
        let chain = try repository.firstParentChain(from: target, stoppingAt: tip)
        var expected = tip
        var done = 0
        for start in stride(from: 0, to: chain.count, by: chunkSize) {
            let slice = chain[start..<min(start + chunkSize, chain.count)]
            let records = try slice.map { try known[$0] ?? record(for: $0, in: repository) }
            let newTip = slice[slice.endIndex - 1]
            guard try catalog.apply(records, newTip: newTip, expectedTip: expected, now: Date()) else { return false }
            expected = newTip
            done += slice.count
            progress?(done, chain.count)
        }
        return true
    }
}
