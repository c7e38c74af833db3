internal import FolioGit
import FolioSupport
import Foundation

/// Builds the commits for a batch of write requests on a branch tip, one commit per request (a request
/// may change several files), chained in order — without writing a pack or moving the branch.
///
/// This is the pure part of saving: no-op detection, three-way merges against a stale base, and what
/// each request's caller will be told. The `CommitQueue` runs it on its writer thread and publishes
/// what it built; tests run it directly on a repository.
struct CommitBuilder {
    /// What became of one request.
    enum Outcome {
        /// A commit was made; one entry per change of the request, in order.
        case committed(commit: ObjectID, files: [FileOutcome])
        /// Every file already held what the request asked for: no commit.
        case unchanged(keys: [FileKey])
        /// Refused (a delete of a file that does not exist); nothing of the request was built.
        case failed(StoreError)
        /// A stale base whose edits overlap newer ones; nothing of the request was built.
        case conflict(key: FileKey, content: String, metadata: [String: JSONValue], text: String)
    }

    /// One file of a committed request.
    struct FileOutcome {
        var key: FileKey
        /// Nil when this file was already as asked (other files of the request changed).
        var action: Action?
        var merged: Bool
        var created: Bool
    }

    /// The batch as built: the new tip (nil when nothing was committed), what the catalog will record,
    /// and one outcome per request.
    struct Built {
        var newTip: ObjectID?
        var records: [CommitRecord] = []
        var outcomes: [Outcome] = []
    }

    let repository: Repository
    /// The service identity and the build's time, shared by every commit it builds.
    let committer: Signature

    /// Applies `requests` in order on top of `tip`, one commit each.
    func build(_ requests: [WriteRequest], on tip: ObjectID?) throws -> Built {
        var built = Built()
        var state = State(parent: tip, tree: try tip.map { try repository.treeID(ofCommit: $0) })
        for request in requests {
            let outcome = try build(request, on: &state, records: &built.records)
            built.outcomes.append(outcome)
        }
        built.newTip = state.parent == tip ? nil : state.parent
        return built
    }

    /// The chain being built: its last commit, that commit's tree, and the blobs this batch changed.
    private struct State {
        var parent: ObjectID?
        var tree: ObjectID?
        var current: [String: ObjectID?] = [:]
    }

    /// A file's new blob and how it got there, before the request's commit exists.
    fileprivate struct Planned {
        var change: CommitRecord.Change
        var outcome: FileOutcome
    }

    private func build(_ request: WriteRequest, on state: inout State, records: inout [CommitRecord]) throws -> Outcome {
        var planned: [Planned] = []
        var unchanged: [FileKey] = []
        // This request's own changes, kept apart until it commits: a refused request leaves the batch's
        // state as it was, and no request copies what the batch changed before it.
        var blobs: [String: ObjectID?] = [:]
        for change in request.changes {
            let key = change.key
            let existing: ObjectID?
            if let known = blobs[key.path] ?? state.current[key.path] {
                existing = known
            } else {
                existing = try state.tree.flatMap { try repository.blobID(at: key.path, inTree: $0) }
            }
            switch change.kind {
            case .delete, .deleteIfUnchanged:
                guard let existing else {
                    if case .deleteIfUnchanged = change.kind { continue }
                    return .failed(StoreError(.notFound, "\(key.path) does not exist"))
                }
                if case .deleteIfUnchanged(let baseCommit) = change.kind,
                   try baseCommit.flatMap({ try repository.blobID(at: key.path, inCommit: $0) }) != existing
                {
                    // Saved since the version the delete was made against: deleting would drop that save.
                    return try conflict(
                        key, current: existing,
                        text: "the file was saved after \(baseCommit?.short ?? "the pushed commit's parent"), which the delete was made against")
                }
                planned.append(Planned(
                    change: CommitRecord.Change(key: key, action: .delete, blob: nil, size: 0, metadata: nil),
                    outcome: FileOutcome(key: key, action: .delete, merged: false, created: false)))
                blobs[key.path] = .some(nil)
            case .put(let content, let metadata, let baseCommit, let restoring):
                if let refusal = try put(
                    key, content: content, metadata: metadata, baseCommit: baseCommit, restoring: restoring, existing: existing,
                    author: request.author.name, planned: &planned, unchanged: &unchanged, blobs: &blobs)
                {
                    return refusal
                }
            case .putBlob(let pushed, let baseCommit):
                let baseBlob = try baseCommit.flatMap { try repository.blobID(at: key.path, inCommit: $0) }
                let data = try repository.readBlob(pushed)
                let envelope: Envelope
                do {
                    envelope = try Envelope.decode(data, key: key.path)
                } catch let error as StoreError {
                    return .failed(error)
                }
                if baseCommit == nil, let existing, existing != pushed {
                    // A root commit has no version to merge from: replacing the branch's file would drop its saves.
                    return try conflict(key, current: existing, text: "the file exists on the branch, and the pushed commit has no parent to merge it from")
                }
                guard baseBlob == existing else {
                    // Saved since the pushed commit's parent: merged as an API save with that base would be.
                    if let refusal = try put(
                        key, content: envelope.content, metadata: envelope.metadata, baseCommit: baseCommit, restoring: false,
                        existing: existing, author: request.author.name, planned: &planned, unchanged: &unchanged, blobs: &blobs)
                    {
                        return refusal
                    }
                    continue
                }
                // Still as the pushed commit found it: the pushed bytes are kept, as a push to the branch keeps them.
                if pushed == existing {
                    unchanged.append(key)
                    continue
                }
                let action: Action = existing == nil ? .create : .update
                planned.append(Planned(
                    change: CommitRecord.Change(
                        key: key, action: action, blob: pushed, size: data.count, metadata: JSONValue.object(envelope.metadata).canonicalText),
                    outcome: FileOutcome(key: key, action: action, merged: false, created: existing == nil)))
                blobs[key.path] = .some(pushed)
            }
        }
        if planned.isEmpty { return .unchanged(keys: unchanged) }

        let newTree = try repository.updatedTree(base: state.tree, changes: planned.map { TreeChange(path: $0.change.key.path, blob: $0.change.blob) })
        let message = CommitMessage.compose(
            changes: planned.map { ($0.change.action, $0.change.key) }, userMessage: request.userMessage, token: request.token)
        let author = Signature(name: request.author.name, email: request.author.email, time: request.authorTime ?? committer.time)
        let commit = try repository.createCommit(
            tree: newTree, parents: state.parent.map { [$0] } ?? [], author: author, committer: committer, message: message)
        records.append(CommitRecord(
            commit: commit, author: author.name, token: request.token, committedAt: committer.time,
            message: CommitMessage.userMessage(of: message, trailers: try Repository.trailers(of: message)),
            changes: planned.map(\.change)))
        state.parent = commit
        state.tree = newTree
        state.current.merge(blobs) { _, new in new }
        // Files of the request that were already as asked are reported unchanged beside the changed ones.
        var files = planned.map(\.outcome)
        files.append(contentsOf: unchanged.map { FileOutcome(key: $0, action: nil, merged: false, created: false) })
        let order = Dictionary(uniqueKeysWithValues: request.changes.enumerated().map { ($0.element.key.path, $0.offset) })
        files.sort { order[$0.key.path, default: 0] < order[$1.key.path, default: 0] }
        return .committed(commit: commit, files: files)
    }
}

extension CommitBuilder {
    /// A pushed change refused because the branch's version of `key` (blob `current`) moved on; the
    /// caller is told what that version holds, as an API conflict tells it.
    /// A version git cannot read fails the request; one that is not a valid envelope is shown as empty.
    fileprivate func conflict(_ key: FileKey, current: ObjectID, text: String) throws -> Outcome {
        let data = try repository.readBlob(current)
        let envelope = try? Envelope.decode(data, key: key.path)
        return .conflict(key: key, content: envelope?.content ?? "", metadata: envelope?.metadata ?? [:], text: text)
    }

    /// Plans a new version of `key` (merged three-way when `baseCommit` names an older version than
    /// `existing`); returns the request's refusal when the merge conflicts or a version cannot be read.
    fileprivate func put(
        _ key: FileKey, content: String, metadata: [String: JSONValue], baseCommit: ObjectID?, restoring: Bool, existing: ObjectID?,
        author: String, planned: inout [Planned], unchanged: inout [FileKey], blobs: inout [String: ObjectID?]
    ) throws -> Outcome? {
        var content = content, metadata = metadata
        var merged = false
        if let baseCommit {
            let baseBlob = try repository.blobID(at: key.path, inCommit: baseCommit)
            if baseBlob != existing {
                let currentEnvelope: Envelope?
                let baseEnvelope: Envelope?
                do {
                    currentEnvelope = try existing.map { try Envelope.decode(repository.readBlob($0), key: key.path) }
                    baseEnvelope = try baseBlob.map { try Envelope.decode(repository.readBlob($0), key: key.path) }
                } catch let error as StoreError {
                    // A file committed around Folio cannot be merged; only this request fails.
                    return .failed(error)
                }
                let merge = try FileMerge.merge(base: baseEnvelope?.content ?? "", ours: currentEnvelope?.content ?? "", theirs: content)
                guard merge.isClean, let currentEnvelope else {
                    return .conflict(
                        key: key, content: currentEnvelope?.content ?? "", metadata: currentEnvelope?.metadata ?? [:],
                        text: currentEnvelope == nil ? "the file was deleted after \(baseCommit.short)" : merge.text)
                }
                content = merge.text
                merged = true
                // Metadata keys the saver did not touch keep the newer version's values.
                let baseMetadata = baseEnvelope?.metadata ?? [:]
                for (name, value) in currentEnvelope.metadata where metadata[name] == baseMetadata[name] {
                    metadata[name] = value
                }
            }
        }
        metadata["updated_by"] = .string(author)
        let envelope = Envelope(content: content, metadata: metadata, type: key.fileType.rawValue)
        let bytes = envelope.encoded()
        if try Repository.hashBlob(bytes) == existing {
            unchanged.append(key)
            return nil
        }
        let blob = try repository.writeBlob(bytes, path: key.path)
        let action: Action = restoring ? .restore : (existing == nil ? .create : .update)
        planned.append(Planned(
            change: CommitRecord.Change(
                key: key, action: action, blob: blob, size: bytes.count, metadata: JSONValue.object(envelope.metadata).canonicalText),
            outcome: FileOutcome(key: key, action: action, merged: merged, created: existing == nil)))
        blobs[key.path] = .some(blob)
        return nil
    }
}

extension CommitBuilder.Outcome {
    /// What the request's caller is told, one result per file (in the request's order). No-ops and
    /// conflicts report the file's commit as the catalog has it once the batch is recorded.
    func results(from catalog: any Catalog) throws -> Result<[SaveResult], StoreError> {
        func currentCommit(_ key: FileKey) throws -> ObjectID {
            guard let commit = try catalog.document(key)?.commit else {
                throw StoreError(.internal, "\(key.path) is on the branch but not in the catalog")
            }
            return commit
        }
        switch self {
        case .committed(let commit, let files):
            return .success(try files.map { file in
                guard let action = file.action else {
                    return SaveResult(fileKey: file.key.path, commit: try currentCommit(file.key), changed: false, merged: false, created: false, action: nil)
                }
                return SaveResult(fileKey: file.key.path, commit: commit, changed: true, merged: file.merged, created: file.created, action: action)
            })
        case .unchanged(let keys):
            return .success(try keys.map {
                SaveResult(fileKey: $0.path, commit: try currentCommit($0), changed: false, merged: false, created: false, action: nil)
            })
        case .failed(let error):
            return .failure(error)
        case .conflict(let key, let content, let metadata, let text):
            return .failure(StoreError(
                .conflict, "\(key.path) changed since the base commit and the edits overlap; merge them and save again",
                conflict: StoreError.Conflict(
                    currentCommit: try catalog.document(key)?.commit, currentContent: content, currentMetadata: .object(metadata), conflictText: text)))
        }
    }

    /// The answer when the catalog cannot be read: a committed request is reported from what was built
    /// (its files, unchanged ones included, are as asked at the new commit); the others made no commit,
    /// and say that the outcome could not be confirmed.
    func resultsFromGit() -> Result<[SaveResult], StoreError> {
        switch self {
        case .committed(let commit, let files):
            return .success(files.map { file in
                SaveResult(
                    fileKey: file.key.path, commit: commit, changed: file.action != nil, merged: file.merged, created: file.created,
                    action: file.action)
            })
        case .failed(let error):
            return .failure(error)
        case .unchanged, .conflict:
            return .failure(StoreError(.unavailable, "nothing was committed, but the catalog could not be read to answer; save again"))
        }
    }
}
