import FolioGit
import FolioS3
import Foundation
import Logging

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
    let envelopes: MemoryCache<Envelope>
    let urlSigner: LocalURLSigner
    let logger: Logger

    /// Opens the store, creating the repository and catalog if needed, and repairs what a crash left
    /// behind: commits the catalog has not seen are ingested and pending mirror writes are retried.
    ///
    /// - Parameters:
    ///   - mirror: overrides the mirror the configuration names (nil: use the configuration).
    ///   - background: run the mirror worker on its own thread (a server); without it the caller drains
    ///     the outbox itself with `flushMirror()` (the CLI does after each command).
    ///   - drainMirror: retry pending mirror writes before returning (off for commands that only inspect).
    public static func open(
        _ configuration: StoreConfiguration, logger: Logger, mirror: (any Mirror)? = nil, background: Bool = false, drainMirror: Bool = true
    ) throws -> DocumentStore {
        let repository: Repository
        do {
            repository = try Repository.openOrCreateBare(at: configuration.repositoryPath, branch: configuration.branch)
        } catch {
            throw StoreError(.unavailable, "cannot open the repository at \(configuration.repositoryPath): \(error)", cause: error)
        }
        let catalog = try openCatalog(configuration.databaseURL)
        let chosenMirror = try mirror ?? makeMirror(configuration)
        if let chosenMirror {
            do {
                try chosenMirror.check()
            } catch {
                // Not fatal: saves go to git and wait in the outbox until the mirror answers.
                logger.error("the mirror is not usable; saves will be kept and mirrored once it is", metadata: [
                    "mirror": "\(chosenMirror.description)", "error": "\(error)",
                ])
            }
        }
        let store = try DocumentStore(configuration: configuration, catalog: catalog, mirror: chosenMirror, logger: logger)
        try store.reconcile(using: repository)
        if background {
            store.mirrorWorker?.start()
            store.packMaintainer.start()
        }
        // A start is the moment to retry everything pending, whatever its backoff says.
        if drainMirror { store.mirrorWorker?.drain(now: .distantFuture) }
        return store
    }

    private init(configuration: StoreConfiguration, catalog: any Catalog, mirror: (any Mirror)?, logger: Logger) throws {
        self.configuration = configuration
        self.catalog = catalog
        self.mirror = mirror
        self.logger = logger
        self.urlSigner = try LocalURLSigner(secretPath: configuration.presignSecretPath)
        // Entries larger than an eighth of the cache would evict too much to be worth keeping.
        self.envelopes = MemoryCache(capacity: configuration.envelopeCacheBytes, largestEntry: configuration.envelopeCacheBytes / 8)
        let readers = ReaderPool(path: configuration.repositoryPath)
        self.readers = readers
        let worker = mirror.map { MirrorWorker(catalog: catalog, mirror: $0, readers: readers, logger: logger) }
        self.mirrorWorker = worker
        let queueBox = QueueBox()
        let maintainer = PackMaintainer(path: configuration.repositoryPath, threshold: configuration.maxPacks, logger: logger) {
            readers.invalidate()
            queueBox.queue?.requestReopen()
        }
        self.packMaintainer = maintainer
        self.queue = try CommitQueue(
            repositoryPath: configuration.repositoryPath, catalog: catalog, configuration: configuration, logger: logger,
            onCommit: {
                worker?.signal()
                maintainer.signal()
            })
        queueBox.queue = queue
    }

    static func openCatalog(_ url: String) throws -> any Catalog {
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            return try SQLiteCatalog(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw StoreError(.unavailable, "FOLIO_DATABASE_URL names PostgreSQL, which this build does not support yet; use sqlite:PATH")
        }
        throw StoreError.invalid("FOLIO_DATABASE_URL", "FOLIO_DATABASE_URL '\(url)' is not understood; use sqlite:PATH")
    }

    static func makeMirror(_ configuration: StoreConfiguration) throws -> (any Mirror)? {
        switch configuration.mirrorKind {
        case .local: return LocalMirror(mediaRoot: configuration.mediaRoot)
        case .none: return nil
        case .s3: return makeS3Mirror(configuration.s3)
        }
    }

    /// The S3 mirror, or a stand-in that reports why it cannot be used: a missing setting must not stop
    /// saves (git and the outbox keep them), but every status and readiness check must say what is wrong.
    static func makeS3Mirror(_ settings: StoreConfiguration.S3Settings) -> any Mirror {
        guard let bucket = settings.bucket else {
            return UnavailableMirror(reason: "FILE_STORAGE_TYPE=s3 but AWS_STORAGE_BUCKET_NAME is not set")
        }
        guard let accessKeyID = settings.accessKeyID, let secret = settings.secretAccessKey else {
            return UnavailableMirror(reason: "FILE_STORAGE_TYPE=s3 but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set")
        }
        do {
            let client = try S3Client(configuration: S3Configuration(
                bucket: bucket, accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: settings.sessionToken,
                region: settings.region, endpoint: settings.endpoint, requestTimeout: settings.requestTimeout))
            return S3Mirror(client: client, prefix: settings.prefix, gzipAbove: settings.gzipAbove)
        } catch {
            return UnavailableMirror(reason: "the S3 settings are not usable: \(error)")
        }
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
        let result = try packMaintainer.consolidate(Repository.open(at: configuration.repositoryPath), full: true)
        return ConsolidationReport(
            packsBefore: result.packsBefore, looseObjectsBefore: result.looseBefore, objects: result.objects,
            bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter)
    }

    /// Ingests commits on the branch that the catalog has not recorded.
    func reconcile(using repository: Repository, progress: ((Int, Int) -> Void)? = nil) throws {
        guard let tip = try repository.resolveReference(configuration.branchReference) else { return }
        try Ingest.catchUp(repository: repository, catalog: catalog, to: tip, progress: progress)
    }

    /// Rebuilds the catalog from git alone: every revision and file row is derived again.
    public func reindex(progress: ((Int, Int) -> Void)? = nil) throws {
        let repository = try Repository.open(at: configuration.repositoryPath)
        try catalog.resetDerivedState()
        try reconcile(using: repository, progress: progress)
    }

    // MARK: Writes

    /// Saves a version of a file: a new commit authored by `updatedBy`, unless nothing changed.
    ///
    /// With `baseCommit` (the commit the caller's version was based on), a file that moved since is merged
    /// three-way; overlapping edits are refused with `.conflict`, carrying the current version.
    public func save(
        projectID: String, type: FileType, name: String? = nil, content: String, metadata: [String: JSONValue] = [:],
        updatedBy: String, email: String? = nil, message: String? = nil, baseCommit: String? = nil
    ) async throws -> SaveResult {
        let key = try FileKey(projectID: projectID, fileType: type, name: name ?? type.defaultName)
        return try await save(key, content: content, metadata: metadata, updatedBy: updatedBy, email: email, message: message, baseCommit: baseCommit)
    }

    /// Saves a version of the file named by `key` (see the other `save`).
    public func save(
        _ key: FileKey, content: String, metadata: [String: JSONValue] = [:], updatedBy: String, email: String? = nil,
        message: String? = nil, baseCommit: String? = nil
    ) async throws -> SaveResult {
        let author = try signature(updatedBy, email: email)
        try checkSize(content)
        let base = try baseCommit.map { try resolveCommit($0, field: "base_commit") }
        return try await queue.submit(WriteRequest(
            key: key, kind: .put(content: content, metadata: metadata, baseCommit: base, restoring: false), author: author, userMessage: message))
    }

    /// Removes a file from the branch, the catalog's live files and the mirror; its history stays.
    public func delete(_ key: FileKey, by updatedBy: String, email: String? = nil, message: String? = nil) async throws -> SaveResult {
        let author = try signature(updatedBy, email: email)
        guard let document = try catalog.document(key), document.isLive else {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        if document.commit == nil {
            // A legacy row never saved through Folio has nothing in git to remove.
            throw StoreError(.invalidInput, "\(key.path) holds legacy content only; save it once before deleting it", field: "key")
        }
        return try await queue.submit(WriteRequest(key: key, kind: .delete, author: author, userMessage: message))
    }

    /// Makes an old revision current again with a new commit (history is never rewritten); also brings
    /// back a deleted file.
    public func restore(_ key: FileKey, commit: String, by updatedBy: String, email: String? = nil, message: String? = nil) async throws -> SaveResult {
        let author = try signature(updatedBy, email: email)
        let id = try resolveCommit(commit, field: "commit")
        guard let data = try readers.withRepository({ try $0.readFile(at: key.path, inCommit: id) }) else {
            throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)", field: "commit")
        }
        let old = try Envelope.decode(data)
        let userMessage = message ?? "Restored from \(id.short)"
        return try await queue.submit(WriteRequest(
            key: key, kind: .put(content: old.content, metadata: old.metadata, baseCommit: nil, restoring: true), author: author, userMessage: userMessage))
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
    public func load(_ key: FileKey, at commit: String? = nil) throws -> LoadedDocument {
        if let commit {
            let id = try resolveCommit(commit, field: "commit")
            // One borrowed handle for both reads.
            let (file, info) = try readers.withRepository { repository in
                (try repository.readFile(at: key.path, inCommit: id), try repository.commit(id))
            }
            guard let data = file else {
                throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)", field: "commit")
            }
            let envelope = try Envelope.decode(data)
            return LoadedDocument(
                fileKey: key.path, content: envelope.content, metadata: envelope.metadata, type: envelope.type, commit: id.hex,
                updatedBy: info.author.name, updatedAt: info.committer.time, source: .git)
        }
        guard let document = try catalog.document(key), document.isLive else {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        if let blob = document.blob {
            let envelope: Envelope
            var source = LoadedDocument.Source.git
            do {
                if let cached = envelopes.value(forKey: blob) {
                    envelope = cached
                } else {
                    let data = try readers.withRepository { try $0.readBlob(ObjectIDText.parse(blob)) }
                    envelope = try Envelope.decode(data)
                    envelopes.store(envelope, forKey: blob, cost: data.count)
                }
            } catch {
                logger.warning("git could not serve a file; trying the mirror", metadata: ["key": "\(key.path)", "error": "\(error)"])
                guard let data = try? mirror?.read(key) else {
                    throw StoreError(.unavailable, "\(key.path) cannot be read from git or the mirror", cause: error)
                }
                envelope = try Envelope.decode(data)
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
        return try catalog.documents(projectID: projectID, type: type)
    }

    /// A file's revisions, newest first, `limit` at a time; pass the page's `nextCursor` for older ones.
    /// Read from the catalog, so its cost depends on this file's history only, not on the repository's.
    public func history(_ key: FileKey, limit: Int = 50, cursor: String? = nil) throws -> HistoryPage {
        guard (1...1000).contains(limit) else { throw StoreError.invalid("limit", "limit \(limit) is out of range; use 1 to 1000") }
        var before: Int?
        if let cursor {
            guard let value = Int(cursor), value > 0 else {
                throw StoreError.invalid("cursor", "cursor '\(FileKey.printable(cursor))' is not one this API gave out")
            }
            before = value
        }
        let revisions = try catalog.revisions(key, limit: limit + 1, beforeSeq: before)
        if revisions.isEmpty, before == nil, try catalog.document(key) == nil {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        let page = Array(revisions.prefix(limit))
        return HistoryPage(revisions: page, nextCursor: revisions.count > limit ? page.last.map { String($0.seq) } : nil)
    }

    /// Compares the file's content (and metadata) at `from` with `to` (default: the current version).
    public func diff(_ key: FileKey, from: String, to: String? = nil, mode: DocumentDiff.Mode = .line) throws -> DocumentDiff {
        let fromID = try resolveCommit(from, field: "from")
        let toID: ObjectID
        if let to {
            toID = try resolveCommit(to, field: "to")
        } else {
            guard let commit = try catalog.document(key)?.commit else { throw StoreError(.notFound, "\(key.path) does not exist") }
            toID = try ObjectIDText.parse(commit)
        }
        let (old, new) = try readers.withRepository { repository -> (Envelope, Envelope) in
            func version(_ id: ObjectID, _ field: String) throws -> Envelope {
                guard let data = try repository.readFile(at: key.path, inCommit: id) else {
                    throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)", field: field)
                }
                return try Envelope.decode(data)
            }
            return (try version(fromID, "from"), try version(toID, "to"))
        }
        let metadataChanges = DocumentDiff.metadataChanges(old.metadata, new.metadata)
        switch mode {
        case .line:
            let patch = try TextPatch.between(old.content, new.content, path: key.path)
            return DocumentDiff(
                fileKey: key.path, from: fromID.hex, to: toID.hex, mode: mode, text: patch.unified, additions: patch.additions,
                deletions: patch.deletions, hunks: patch.hunks, segments: [], metadataChanges: metadataChanges)
        case .word:
            let words = try WordDiff.between(old.content, new.content)
            return DocumentDiff(
                fileKey: key.path, from: fromID.hex, to: toID.hex, mode: mode, text: words.plain, additions: words.additions,
                deletions: words.deletions, hunks: [], segments: words.segments, metadataChanges: metadataChanges)
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

    func signature(_ updatedBy: String, email: String?) throws -> Signature {
        if let problem = Signature.problem(with: updatedBy) {
            throw StoreError.invalid("updated_by", "updated_by \(problem); give the saving user's name")
        }
        guard updatedBy.count <= 200 else { throw StoreError.invalid("updated_by", "updated_by is longer than 200 characters") }
        if let email, let problem = Signature.problem(with: email) {
            throw StoreError.invalid("email", "email \(problem)")
        }
        let local = updatedBy.map { $0.isWhitespace ? "_" : $0 }
        return Signature(name: updatedBy, email: email ?? "\(String(local))@users.folio.invalid")
    }

    func checkSize(_ content: String) throws {
        let size = content.utf8.count
        guard size <= configuration.maxContentBytes else {
            throw StoreError(.tooLarge, "content is \(size) bytes; the limit is \(configuration.maxContentBytes) bytes (FOLIO_MAX_CONTENT_BYTES)", field: "content")
        }
        guard !content.unicodeScalars.contains("\0") else {
            throw StoreError.invalid("content", "content contains a NUL character; documents are text")
        }
    }

    func resolveCommit(_ text: String, field: String) throws -> ObjectID {
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
private final class QueueBox: @unchecked Sendable {
    var queue: CommitQueue?
}
