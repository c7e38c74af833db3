import FolioSupport
import Foundation

extension DocumentStore {
    /// The most files one batch save may name: a commit people can still read in `git show --stat`, and
    /// a request the writer builds in well under a second.
    public static let maxBatchFiles = 1000

    /// Saves and deletes several files of one project as one commit authored by `updatedBy`, all or
    /// nothing.
    ///
    /// Every file is checked before anything is written — its name, its size (each within
    /// `FOLIO_MAX_CONTENT_BYTES`, all together within `FOLIO_MAX_BATCH_BYTES`), its `base_commit`, that a
    /// deleted file exists, that no file is named twice — and the first problem refuses the batch with an
    /// error naming the file (`files[INDEX]` and its key). A file with a stale `baseCommit` is merged as a
    /// single save would be; overlapping edits (`.conflict`) or a file deleted meanwhile refuse the whole
    /// batch, and nothing is committed. Files already as asked are reported unchanged; when all are, no
    /// commit is made and the result's `commit` is nil.
    public func saveBatch(
        projectID: String, files: [BatchFile], updatedBy: String, email: String? = nil, message: String? = nil, token: String? = nil
    ) async throws -> BatchResult {
        try FileKey.validateProjectID(projectID)
        let author = try signature(updatedBy, email: email)
        try checkMessage(message)
        guard !files.isEmpty else {
            throw StoreError.invalid("files", "files is empty; name at least one file to save or delete")
        }
        guard files.count <= DocumentStore.maxBatchFiles else {
            throw StoreError.invalid("files", "files names \(files.count) files; a batch saves at most \(DocumentStore.maxBatchFiles)")
        }
        var changes: [WriteRequest.Change] = []
        var seen: [FileKey: Int] = [:]
        var total = 0
        for (index, file) in files.enumerated() {
            let key: FileKey
            do {
                key = try FileKey(projectID: projectID, fileType: file.type, name: file.name ?? file.type.defaultName)
            } catch let error as StoreError {
                throw error.inBatchFile(index)
            }
            if let first = seen[key] {
                throw StoreError.invalid(
                    "files[\(index)]", "files[\(index)] names \(key.path), as files[\(first)] does; a batch may name each file once")
            }
            seen[key] = index
            do {
                switch file.change {
                case .put(let content, let metadata, let baseCommit):
                    try checkSize(content)
                    total += content.utf8.count
                    let base = try baseCommit.map { try requireCommit($0, field: "base_commit") }
                    changes.append(WriteRequest.Change(key: key, kind: .put(content: content, metadata: metadata, baseCommit: base, restoring: false)))
                case .delete:
                    try requireDeletable(key)
                    changes.append(WriteRequest.Change(key: key, kind: .delete))
                }
            } catch let error as StoreError {
                throw error.inBatchFile(index, key: key)
            }
        }
        guard total <= configuration.maxBatchContentBytes else {
            throw StoreError(
                .tooLarge,
                "the batch's files hold \(total) bytes of content in all; the limit is \(configuration.maxBatchContentBytes) bytes (FOLIO_MAX_BATCH_BYTES); save them in several batches",
                field: "files")
        }

        let results: [SaveResult]
        do {
            results = try await queue.submit(WriteRequest(changes: changes, author: author, userMessage: message, token: token))
        } catch let error as StoreError {
            // The writer's refusals (overlapping edits, a file deleted since it was checked, a file that is
            // not a document) begin with the file's key; the batch's caller is told which entry it was.
            if let index = changes.firstIndex(where: { error.message.hasPrefix($0.key.path + " ") }) {
                throw error.inBatchFile(index)
            }
            throw error
        }
        guard results.count == changes.count else {
            throw StoreError(.internal, "the writer answered \(results.count) results for a batch of \(changes.count) files")
        }
        for (change, result) in zip(changes, results) where result.created {
            recordMovedLegacyRows(change.key, commit: result.commit)
        }
        return BatchResult(projectID: projectID, commit: results.first(where: \.changed)?.commit, files: results)
    }

    /// Throws unless `key` is a live file that git holds (what a delete needs): for single deletes and batches.
    func requireDeletable(_ key: FileKey) throws {
        guard let document = try catalog.document(key), document.isLive else {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        if document.commit == nil {
            // A legacy row never saved through Folio has nothing in git to remove.
            throw StoreError(.invalidInput, "\(key.path) holds legacy content only; save it once before deleting it", field: "key")
        }
    }
}

extension StoreError {
    /// This error as reported for entry `index` of a batch: the message starts with `files[INDEX]` (and
    /// `key`, when the message does not name it), and the field becomes `files[INDEX]` or
    /// `files[INDEX].FIELD`, so a client knows which file to fix.
    public func inBatchFile(_ index: Int, key: FileKey? = nil) -> StoreError {
        var error = self
        let entry = "files[\(index)]"
        let named = key.map { message.contains($0.path) ? "" : " (\($0.path))" } ?? ""
        error.message = "\(entry)\(named): \(message)"
        error.field = field.map { $0 == "key" ? entry : "\(entry).\($0)" } ?? entry
        return error
    }
}
