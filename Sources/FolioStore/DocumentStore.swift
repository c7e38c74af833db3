internal import FolioGit
import FolioSupport
import Foundation
import Logging
import Synchronization

/// Folio's domain API: save, load, list, delete, history, diff and restore planning documents.
///
/// Every change is a git commit (through the `CommitQueue`), recorded in the catalog and published by the
/// mirror. Reads go to the catalog and to pooled read-only repository handles, never through the writer.
public final class DocumentStore: Sendable {
    /// The settings the store was opened with.
    public let configuration: StoreConfiguration
    let catalog: any Catalog
    let mirror: (any Mirror)?
    let readers: ReaderPool
    let queue: CommitQueue
    let mirrorWorker: MirrorWorker?
    let packMaintainer: PackMaintainer
    /// Recently read envelopes by blob id: saves the git read and JSON decode on repeated loads.
    let envelopes: MemoryCache<ObjectID, Envelope>
    let urlSigner: LocalURLSigner
    /// The process's lease on the repository and the cleaner of dead writers' temporary files.
    let leftovers: Leftovers
    let logger: Logger
    /// At most two diffs of large documents at once (`DiffLimiter`); more are refused as unavailable.
    let largeDiffs = DiffLimiter()
    /// Loads of documents larger than this are followed by a heap trim (`HeapTrim`).
    static let largeDocumentBytes = 1 << 20
    /// The old system's tables, read for files never saved through Folio (`FOLIO_LEGACY_DATABASE_URL`).
    let legacy: LegacyDatabase?

    init(configuration: StoreConfiguration, catalog: any Catalog, mirror: (any Mirror)?, logger: Logger) throws {
        self.configuration = configuration
        self.catalog = catalog
        self.mirror = mirror
        self.logger = logger
        self.urlSigner = try LocalURLSigner(secretPath: configuration.presignSecretPath)
        self.legacy = try configuration.legacyDatabaseURL.map { try LegacyDatabase(url: $0, tables: configuration.legacyTables) }
        self.leftovers = try Leftovers(
            repositoryPath: configuration.repositoryPath, mirrorRoot: (mirror as? LocalMirror)?.root.path, logger: logger)
        // Entries larger than an eighth of the cache would evict too much to be worth keeping.
        self.envelopes = MemoryCache(capacity: configuration.envelopeCacheBytes, largestEntry: configuration.envelopeCacheBytes / 8)
        let readers = ReaderPool(path: configuration.repositoryPath)
        self.readers = readers
        let worker = mirror.map { MirrorWorker(catalog: catalog, mirror: $0, readers: readers, logger: logger) }
        self.mirrorWorker = worker
        // The maintainer is made before the queue it tells about consolidations, so it reaches it through a box.
        let queueBox = QueueBox()
        let maintainer = PackMaintainer(path: configuration.repositoryPath, threshold: configuration.maxPacks, logger: logger) {
            readers.invalidate()
            queueBox.queue.withLock { $0?.requestReopen() }
        }
        self.packMaintainer = maintainer
        self.queue = try CommitQueue(
            repositoryPath: configuration.repositoryPath, catalog: catalog, configuration: configuration, logger: logger,
            onCommit: {
                worker?.signal()
                maintainer.signal()
            })
        queueBox.queue.withLock { $0 = queue }
    }

    /// Stops the background workers after the queued saves are written and, unless told otherwise, the
    /// outbox is drained once more.
    public func close(drainMirror: Bool = true) {
        queue.shutdown()
        packMaintainer.stop()
        mirrorWorker?.stop()
        if drainMirror { mirrorWorker?.drain() }
    }

    /// Publishes pending mirror writes now (with `includeBackingOff`, also those waiting out a retry delay);
    /// returns how many were written and how many failed.
    @discardableResult
    public func flushMirror(includeBackingOff: Bool = false, progress: ((Int, Int) -> Void)? = nil) -> (mirrored: Int, failed: Int) {
        mirrorWorker?.drain(now: includeBackingOff ? .distantFuture : Date(), progress: progress) ?? (0, 0)
    }

    /// Consolidates the repository's packs into one now (`folio gc`); saves may go on meanwhile.
    public func consolidatePacks() throws -> ConsolidationReport {
        leftovers.clean()
        let result = try packMaintainer.consolidate(Repository.open(at: configuration.repositoryPath), full: true)
        return ConsolidationReport(
            packsBefore: result.packsBefore, looseObjectsBefore: result.looseBefore, objects: result.objects,
            bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter)
    }

    /// Ingests commits on the branch that the catalog has not recorded.
    func reconcile(
        using repository: Repository, parallelThreshold: Int = ChunkReader.parallelThreshold, progress: ((Int, Int) -> Void)? = nil
    ) throws {
        guard let tip = try repository.resolveReference(configuration.branchReference) else {
            try Ingest.checkLineage(repository: repository, catalog: catalog, branch: configuration.branchReference)
            return
        }
        try Ingest.follow(
            repository: repository, catalog: catalog, branch: configuration.branchReference, to: tip, logger: logger, checkingRewind: true,
            parallelThreshold: parallelThreshold, progress: progress)
    }

    /// Rebuilds the catalog from git alone: every revision and file row is derived again.
    public func reindex(progress: ((Int, Int) -> Void)? = nil) throws {
        try reindex(parallelThreshold: ChunkReader.parallelThreshold, progress: progress)
    }

    /// `reindex`, reading git on other threads from `parallelThreshold` commits on (tests compare both ways).
    func reindex(parallelThreshold: Int, progress: ((Int, Int) -> Void)? = nil) throws {
        let repository = try Repository.open(at: configuration.repositoryPath)
        try catalog.resetDerivedState()
        try reconcile(using: repository, parallelThreshold: parallelThreshold, progress: progress)
    }

    // MARK: Writes

    /// Saves a version of a file: a new commit authored by `updatedBy`, unless nothing changed.
    ///
    /// With `baseCommit` (the commit the caller's version was based on), a file that moved since is merged
    /// three-way; overlapping edits are refused with `.conflict`, carrying the current version. `token`
    /// names the API token the save came through; the commit records it (`Folio-Token:`).
    public func save(
        projectID: String, type: FileType, name: String? = nil, content: String, metadata: [String: JSONValue] = [:],
        updatedBy: String, email: String? = nil, message: String? = nil, baseCommit: ObjectID? = nil, token: String? = nil
    ) async throws -> SaveResult {
        let key = try FileKey(projectID: projectID, fileType: type, name: name ?? type.defaultName)
        return try await save(
            key, content: content, metadata: metadata, updatedBy: updatedBy, email: email, message: message, baseCommit: baseCommit, token: token)
    }

    /// Saves a version of the file named by `key` (see the other `save`).
    public func save(
        _ key: FileKey, content: String, metadata: [String: JSONValue] = [:], updatedBy: String, email: String? = nil,
        message: String? = nil, baseCommit: ObjectID? = nil, token: String? = nil
    ) async throws -> SaveResult {
        let author = try signature(updatedBy, email: email)
        try checkSize(content)
        let base = try baseCommit.map { try requireCommit($0, field: "base_commit") }
        let result = try await submitOne(WriteRequest(
            key: key, kind: .put(content: content, metadata: metadata, baseCommit: base, restoring: false), author: author, userMessage: message,
            token: token))
        if result.created { recordMovedLegacyRows(key, commit: result.commit) }
        return result
    }

    /// Removes a file from the branch, the catalog's live files and the mirror; its history stays.
    public func delete(_ key: FileKey, by updatedBy: String, email: String? = nil, message: String? = nil, token: String? = nil) async throws -> SaveResult {
        let author = try signature(updatedBy, email: email)
        try requireDeletable(key)
        return try await submitOne(WriteRequest(key: key, kind: .delete, author: author, userMessage: message, token: token))
    }

    /// Makes an old revision current again with a new commit (history is never rewritten); also brings
    /// back a deleted file.
    public func restore(
        _ key: FileKey, commit: ObjectID, by updatedBy: String, email: String? = nil, message: String? = nil, token: String? = nil
    ) async throws -> SaveResult {
        let author = try signature(updatedBy, email: email)
        let id = try requireCommit(commit, field: "commit")
        guard let data = try readers.withRepository({ try $0.readFile(at: key.path, inCommit: id) }) else {
            throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)", field: "commit")
        }
        let old = try Envelope.decode(data, key: key.path)
        let userMessage = message ?? "Restored from \(id.short)"
        return try await submitOne(WriteRequest(
            key: key, kind: .put(content: old.content, metadata: old.metadata, baseCommit: nil, restoring: true), author: author,
            userMessage: userMessage, token: token))
    }

    /// Adds a file from the old system's database; it loads from there until its first save moves it into git.
    public func importLegacy(_ key: FileKey, content: String, metadata: [String: JSONValue] = [:], updatedBy: String? = nil, updatedAt: Date? = nil) throws {
        try checkSize(content)
        try catalog.insertLegacy(key, content: content, metadata: JSONValue.object(metadata).canonicalText, updatedBy: updatedBy, updatedAt: updatedAt)
    }

    // MARK: Reads

    /// The current version of a file, or its version at `commit`.
    ///
    /// Falls back to the mirror when git cannot serve the file, and to legacy database content for files
    /// never saved through Folio; `source` says which.
    public func load(_ key: FileKey, at commit: ObjectID? = nil) throws -> LoadedDocument {
        if let commit {
            let id = try requireCommit(commit, field: "commit")
            // One borrowed handle for both reads.
            let (file, info) = try readers.withRepository { repository in
                (try repository.readFile(at: key.path, inCommit: id), try repository.commit(id))
            }
            guard let data = file else {
                throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)", field: "commit")
            }
            let envelope = try Envelope.decode(data, key: key.path)
            return LoadedDocument(
                fileKey: key.path, content: envelope.content, metadata: envelope.metadata, type: envelope.type, commit: id,
                updatedBy: info.author.name, updatedAt: info.committer.time, source: .git)
        }
        catchUpIfBehind()
        let row = try catalog.document(key)
        guard let document = row, document.isLive else {
            // Never in git nor imported: the old system's tables may still hold it (live fallback).
            if row == nil, let legacyDocument = try legacyDocument(key) { return legacyDocument }
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        if let blob = document.blob {
            let envelope: Envelope
            var source = LoadedDocument.Source.git
            do {
                if let cached = envelopes.value(forKey: blob) {
                    envelope = cached
                } else {
                    let data = try readers.withRepository { try $0.readBlob(blob) }
                    envelope = try Envelope.decode(data, key: key.path)
                    envelopes.store(envelope, forKey: blob, cost: data.count)
                    // Decoding and the reply of a large document pass through several copies of it.
                    if data.count > DocumentStore.largeDocumentBytes { HeapTrim.shared.afterLargeWork() }
                }
            } catch let error as StoreError where error.code == .invalidDocument {
                // git answered: the file itself is not a document. The mirror holds the same bytes or an
                // older version, neither of which is the answer.
                throw error
            } catch {
                logger.warning("git could not serve a file; trying the mirror", metadata: ["key": "\(key.path)", "error": "\(error)"])
                guard let data = try? mirror?.read(key) else {
                    throw StoreError(.unavailable, "\(key.path) cannot be read from git or the mirror", cause: error)
                }
                envelope = try Envelope.decode(data, key: key.path)
                source = .mirror
            }
            return LoadedDocument(
                fileKey: key.path, content: envelope.content, metadata: envelope.metadata, type: envelope.type,
                commit: document.commit, updatedBy: document.updatedBy, updatedAt: document.updatedAt, source: source)
        }
        let metadata = document.metadata.flatMap { try? JSONValue.parse(Data($0.utf8)).objectValue } ?? [:]
        return LoadedDocument(
            fileKey: key.path, content: document.legacyContent ?? "", metadata: metadata, type: key.fileType.rawValue,
            commit: nil, updatedBy: document.updatedBy, updatedAt: document.updatedAt, source: .database)
    }

    /// A project's live files, optionally of one type.
    public func list(projectID: String, type: FileType? = nil) throws -> [DocumentRecord] {
        try FileKey.validateProjectID(projectID)
        catchUpIfBehind()
        return try addingLegacyRows(to: catalog.documents(projectID: projectID, type: type), projectID: projectID, type: type)
    }

    /// A file's revisions, newest first, `limit` at a time; pass the page's `nextCursor` for older ones.
    /// Read from the catalog, so its cost depends on this file's history only, not on the repository's.
    public func history(_ key: FileKey, limit: Int = 50, cursor: String? = nil) throws -> HistoryPage {
        guard (1...1000).contains(limit) else { throw StoreError.invalid("limit", "limit \(limit) is out of range; use 1 to 1000") }
        var before: Int?
        if let cursor {
            // Cursors are sequence numbers as this API writes them: 1 to 18 digits, no sign, no leading zero.
            let digits = cursor.utf8
            guard (1...18).contains(digits.count), digits.first != UInt8(ascii: "0"),
                  digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let value = Int(cursor) else {
                throw StoreError.invalid("cursor", "cursor '\(FileKey.printable(cursor))' is not one this API gave out")
            }
            before = value
        }
        catchUpIfBehind()
        let revisions = try catalog.revisions(key, limit: limit + 1, beforeSeq: before)
        if revisions.isEmpty, before == nil, try catalog.document(key) == nil {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        let page = Array(revisions.prefix(limit))
        return HistoryPage(revisions: page, nextCursor: revisions.count > limit ? page.last.map { String($0.seq) } : nil)
    }

    /// Compares the file's content (and metadata) at `from` with `to` (default: the current version).
    public func diff(_ key: FileKey, from: ObjectID, to: ObjectID? = nil, mode: DocumentDiff.Mode = .line) throws -> DocumentDiff {
        let fromID = try requireCommit(from, field: "from")
        let toID: ObjectID
        if let to {
            toID = try requireCommit(to, field: "to")
        } else {
            catchUpIfBehind()
            guard let commit = try catalog.document(key)?.commit else { throw StoreError(.notFound, "\(key.path) does not exist") }
            toID = commit
        }
        let (old, new) = try readers.withRepository { repository -> (Envelope, Envelope) in
            func version(_ id: ObjectID, _ field: String) throws -> Envelope {
                guard let data = try repository.readFile(at: key.path, inCommit: id) else {
                    throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)", field: field)
                }
                return try Envelope.decode(data, key: key.path)
            }
            return (try version(fromID, "from"), try version(toID, "to"))
        }
        let metadataChanges = DocumentDiff.metadataChanges(old.metadata, new.metadata)
        return try largeDiffs.run(inputBytes: old.content.utf8.count + new.content.utf8.count) {
            switch mode {
            case .line:
                let patch = try TextPatch.between(old.content, new.content, path: key.path)
                return DocumentDiff(
                    fileKey: key.path, from: fromID, to: toID, mode: mode, text: patch.unified, additions: patch.additions,
                    deletions: patch.deletions, hunks: patch.hunks, segments: [], metadataChanges: metadataChanges)
            case .word:
                let words = try WordDiff.between(old.content, new.content)
                return DocumentDiff(
                    fileKey: key.path, from: fromID, to: toID, mode: mode, text: words.plain, additions: words.additions,
                    deletions: words.deletions, hunks: [], segments: words.segments, metadataChanges: metadataChanges)
            }
        }
    }

    /// Pending mirror writes, for status.
    public func mirrorOutbox() throws -> [OutboxEntry] { try catalog.outboxAll() }

    /// Queues every live file on the branch for the mirror again (then `flushMirror` publishes them).
    func requeueAllForMirror() throws -> Int {
        var count = 0
        let repository = try Repository.open(at: configuration.repositoryPath)
        guard let tip = try repository.resolveReference(configuration.branchReference) else { return 0 }
        for file in try repository.listFiles(inCommit: tip) {
            guard let key = try? FileKey(parsing: file.path), let commit = try catalog.document(key)?.commit else { continue }
            try catalog.enqueueMirror(key.path, commit: commit, now: Date())
            count += 1
        }
        return count
    }

    // MARK: Helpers

    /// Submits a one-file request and returns that file's result.
    private func submitOne(_ request: WriteRequest) async throws -> SaveResult {
        try checkMessage(request.userMessage)
        let results = try await queue.submit(request)
        guard results.count == 1, let result = results.first else {
            throw StoreError(.internal, "the writer answered \(results.count) results for one file")
        }
        return result
    }

    func signature(_ updatedBy: String, email: String?) throws -> Signature {
        if let problem = Signature.problem(with: updatedBy) {
            throw StoreError.invalid("updated_by", "updated_by \(problem); give the saving user's name")
        }
        // Counted in Unicode scalars, as JSON Schema's maxLength counts (the API's contract says 200).
        guard updatedBy.unicodeScalars.count <= 200 else { throw StoreError.invalid("updated_by", "updated_by is longer than 200 characters") }
        if let email, let problem = Signature.problem(with: email) {
            throw StoreError.invalid("email", "email \(problem)")
        }
        let local = updatedBy.map { $0.isWhitespace ? "_" : $0 }
        return Signature(name: updatedBy, email: email ?? "\(String(local))@users.folio.invalid")
    }

    /// git's commit message would end at a NUL, without the trailers that say which files changed.
    func checkMessage(_ message: String?) throws {
        if message?.unicodeScalars.contains("\0") == true {
            throw StoreError.invalid("message", "message contains a NUL character")
        }
    }

    func checkSize(_ content: String) throws {
        switch Envelope.contentProblem(content, limit: configuration.maxContentBytes) {
        case .tooLarge(let size)?:
            throw StoreError(.tooLarge, "content is \(size) bytes; the limit is \(configuration.maxContentBytes) bytes (FOLIO_MAX_CONTENT_BYTES)", field: "content")
        case .nul?:
            throw StoreError.invalid("content", "content contains a NUL character; documents are text")
        case nil:
            return
        }
    }

    /// The commit a person named by `text` (4 to 40 hex digits) — the edge where ids typed by users
    /// become ids; `field` names the input in errors.
    public func commitID(_ text: String, field: String) throws -> ObjectID {
        guard ObjectID.looksLikeHex(text) else {
            throw StoreError.invalid(field, "\(field) '\(FileKey.printable(text))' is not a commit id (4 to 40 hex digits)")
        }
        do {
            // Expanding finds any object; reading it as a commit proves it is one.
            return try readers.withRepository { repository in
                let id = try repository.expandID(text)
                _ = try repository.commit(id)
                return id
            }
        } catch let error as GitError where error.code == .ambiguous {
            throw StoreError.invalid(field, "\(field) '\(text)' matches more than one object; give more digits")
        } catch {
            throw StoreError(.notFound, "\(field) \(text) is not a commit in this repository", field: field)
        }
    }

    /// `id` if it names a commit in this repository; otherwise a not-found error naming `field`.
    func requireCommit(_ id: ObjectID, field: String) throws -> ObjectID {
        do {
            _ = try readers.withRepository { try $0.commit(id) }
            return id
        } catch {
            throw StoreError(.notFound, "\(field) \(id.hex) is not a commit in this repository", field: field)
        }
    }
}

/// What `consolidatePacks` did.
public struct ConsolidationReport: Sendable, Equatable, Codable {
    /// Packs before (one after).
    public var packsBefore: Int
    /// Loose objects before (none after).
    public var looseObjectsBefore: Int
    /// Objects in the new pack.
    public var objects: Int
    /// Pack bytes before.
    public var bytesBefore: Int64
    /// Pack bytes after.
    public var bytesAfter: Int64
}

/// Lets the pack maintainer's callback reach the commit queue, which is created after it.
private final class QueueBox: Sendable {
    let queue = Mutex<CommitQueue?>(nil)
}
