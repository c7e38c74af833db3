internal import FolioGit
import FolioSupport
import Foundation

/// Brings the catalog up to a commit by reading git: after a crash between git and the catalog, after
/// another process's save, after a `git push`, or from nothing (`folio reindex`).
enum Ingest {
    /// What the catalog learns from `commit`, read from git alone. `previous` (the commit just read and
    /// its tree) saves reading the parent when it is the first parent. With `details` false the changes'
    /// sizes and metadata are left out (0 and nil): only a file's last version in a run of commits needs
    /// its metadata, and reading that envelope gives its size too (see `fillDetails`).
    static func record(
        for commit: ObjectID, in repository: Repository, previous: (commit: ObjectID, tree: ObjectID)? = nil, details: Bool = true
    ) throws -> (record: CommitRecord, tree: ObjectID) {
        let info = try repository.commit(commit)
        // Folio's trailers say what each file's change meant (a restore looks like an update otherwise);
        // commits made elsewhere have none, and the tree diff alone decides.
        let intended = CommitMessage.actions(in: info.trailers)
        let parent = try info.parents.first.map { parent in
            if let previous, previous.commit == parent { return previous.tree }
            return try repository.treeID(ofCommit: parent)
        }
        var changes: [CommitRecord.Change] = []
        for change in try repository.changes(from: parent, to: info.tree) {
            // Files that are not Folio documents (a README pushed by hand) are not catalogued.
            guard let key = try? FileKey(parsing: change.path) else { continue }
            // A submodule put where no file was: nothing for the catalog (the push hook refuses these).
            if change.oldBlob == nil && change.newBlob == nil { continue }
            let action: Action = if change.newBlob == nil {
                .delete
            } else {
                intended[change.path] ?? (change.oldBlob == nil ? .create : .update)
            }
            changes.append(CommitRecord.Change(key: key, action: action, blob: change.newBlob, size: 0, metadata: nil))
        }
        var record = CommitRecord(
            commit: commit, author: info.author.name, token: info.trailer(CommitMessage.tokenTrailer), committedAt: info.committer.time,
            message: CommitMessage.userMessage(of: info.message, trailers: info.trailers), changes: changes)
        if details { try fillDetails(&record.changes, in: repository, metadataOf: Set(record.changes.indices)) }
        return (record, info.tree)
    }

    /// Fills in the changes' sizes, and the metadata of those in `metadataOf` (an envelope that does not
    /// decode has none). An envelope read for its metadata gives its size; the others' sizes come from
    /// the object headers, without inflating them.
    static func fillDetails(_ changes: inout [CommitRecord.Change], in repository: Repository, metadataOf indices: Set<Int>) throws {
        for index in changes.indices {
            guard let blob = changes[index].blob else { continue }
            if indices.contains(index) {
                let data = try repository.readBlob(blob)
                changes[index].size = data.count
                changes[index].metadata = (try? Envelope.decode(data)).map { JSONValue.object($0.metadata).canonicalText }
            } else {
                changes[index].size = try repository.blobSize(blob)
            }
        }
    }

    /// Records for a run of first-parent commits, oldest first. The catalog keeps only a file's current
    /// metadata, so it is read for each file's last version in the run alone; each commit's parent tree
    /// is the previous commit's tree.
    static func records(for chain: ArraySlice<ObjectID>, in repository: Repository, known: [ObjectID: CommitRecord]) throws -> [CommitRecord] {
        var records: [CommitRecord] = []
        records.reserveCapacity(chain.count)
        var previous: (commit: ObjectID, tree: ObjectID)?
        for commit in chain {
            if let record = known[commit] {
                records.append(record)
                previous = nil
                continue
            }
            let (record, tree) = try record(for: commit, in: repository, previous: previous, details: false)
            records.append(record)
            previous = (commit, tree)
        }
        // The last change of each file in the run is the one whose metadata the catalog keeps (the
        // records the caller knows have theirs).
        var last: [String: (record: Int, change: Int)] = [:]
        for (r, record) in records.enumerated() {
            for (c, change) in record.changes.enumerated() { last[change.key.path] = (r, c) }
        }
        var wanted: [Int: Set<Int>] = [:]
        for (r, c) in last.values { wanted[r, default: []].insert(c) }
        for r in records.indices where known[records[r].commit] == nil {
            try fillDetails(&records[r].changes, in: repository, metadataOf: wanted[r] ?? [])
        }
        return records
    }

    /// Records every commit between the catalog's ingested tip and `target` (first-parent order), using
    /// `known` for commits the caller just wrote and git for the rest. Safe against other writers: each
    /// chunk is applied only on top of the tip it was computed from, else the loop starts over.
    static func catchUp(
        repository: Repository, catalog: any Catalog, to target: ObjectID, known: [ObjectID: CommitRecord] = [:],
        expected: (base: ObjectID?, chain: [ObjectID])? = nil, chunkSize: Int = 500,
        parallelThreshold: Int = ChunkReader.parallelThreshold, progress: ((Int, Int) -> Void)? = nil
    ) throws {
        var refreshed = false
        while true {
            do {
                if try catchUpOnce(
                    repository: repository, catalog: catalog, to: target, known: known, expected: expected, chunkSize: chunkSize,
                    parallelThreshold: parallelThreshold, progress: progress
                ) {
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
        expected: (base: ObjectID?, chain: [ObjectID])?, chunkSize: Int, parallelThreshold: Int, progress: ((Int, Int) -> Void)?
    ) throws -> Bool {
        let tip = try catalog.ingestedTip()
        if tip == target { return true }
        let chain: [ObjectID]
        if let expected, expected.base == tip, expected.chain.last == target {
            // The usual case after a save: the catalog is where the batch started, so the chain is the
            // batch's own commits and git need not be walked.
            chain = expected.chain
        } else {
            if let tip {
                // A catalog tip git does not have (after a refresh, in case another process just wrote
                // it) was left by a history that is gone: the repository was restored from a backup.
                if try repository.objectKind(tip) == nil {
                    try repository.refreshObjects()
                    if try repository.objectKind(tip) == nil { throw HistoryRewritten(catalogTip: tip, branchTip: target) }
                }
                // The catalog is ahead of a target read a moment ago: another writer got there first.
                if try repository.isAncestor(target, of: tip) { return true }
                // Both were on the branch, which only moves forward; two lines of history mean it was rewritten.
                guard try repository.isAncestor(tip, of: target) else { throw HistoryRewritten(catalogTip: tip, branchTip: target) }
            }
            chain = try repository.firstParentChain(from: target, stoppingAt: tip)
        }
        let chunks = stride(from: 0, to: chain.count, by: chunkSize).map { chain[$0..<min($0 + chunkSize, chain.count)] }
        // A long catch-up (reindex, start-up after a push) reads git ahead of the catalog on other threads;
        // a save's own catch-up knows its records and stays on this thread.
        let unknown = chain.count - known.count
        let reader: ChunkReader = unknown >= parallelThreshold
            ? try .parallel(path: repository.path, lanes: ChunkReader.lanes, known: known)
            : .inline(repository, known: known)
        return try apply(chunks, of: chain.count, reading: reader, to: catalog, from: tip, progress: progress)
    }

    /// Reads each chunk (the next one while the current one is applied) and applies it on top of the
    /// last; false when another writer moved the catalog's tip first.
    private static func apply(
        _ chunks: [ArraySlice<ObjectID>], of total: Int, reading reader: ChunkReader, to catalog: any Catalog, from tip: ObjectID?,
        progress: ((Int, Int) -> Void)?
    ) throws -> Bool {
        var expectedTip = tip
        var done = 0
        var next = reader.start(chunks[0])
        // Whatever happens, no read is left running on a handle when this returns.
        defer { _ = try? next.value() }
        for index in chunks.indices {
            let records = try next.value()
            if index + 1 < chunks.count { next = reader.start(chunks[index + 1]) }
            let slice = chunks[index]
            let newTip = slice[slice.endIndex - 1]
            guard try catalog.apply(records, newTip: newTip, expectedTip: expectedTip, now: Date()) else { return false }
            expectedTip = newTip
            done += slice.count
            progress?(done, total)
        }
        return true
    }
}
