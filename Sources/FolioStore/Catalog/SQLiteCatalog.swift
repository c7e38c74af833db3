import FolioSupport
import Foundation
internal import GRDB

/// The embedded catalog: one SQLite file in WAL mode, so readers never wait for the writer.
///
/// `synchronous = NORMAL` is enough here: git is fsynced before the catalog is written, and a catalog
/// transaction lost to power failure is re-derived from git on the next open.
public final class SQLiteCatalog: Catalog {
    /// Reads use `unsafeRead`: each is a single statement, which SQLite already runs in its own implicit
    /// read transaction (one consistent snapshot), so the explicit BEGIN/COMMIT `read` adds would only
    /// double the work of the most frequent query, a document lookup on every load.
    private let pool: DatabasePool

    /// Opens (creating if needed) the catalog at `path` and applies pending migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw SQLiteCatalog.classify(error, "cannot open the catalog at \(path)")
        }
        try migrate()
        try checkIntegrity()
    }

    /// Opens the catalog at `path`; a damaged file is moved aside (kept, never deleted: it may hold legacy
    /// rows that exist nowhere else) and a new, empty catalog is created for ingest to rebuild from git.
    /// Returns the catalog and where the damaged file went, if it was moved.
    public static func openOrReplaceDamaged(path: String) throws -> (catalog: SQLiteCatalog, movedAside: String?) {
        do {
            return (try SQLiteCatalog(path: path), nil)
        } catch let error as StoreError where error.code == .catalogDamaged {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let aside = path + ".damaged-" + stamp
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            return (try SQLiteCatalog(path: path), aside)
        }
    }

    /// SQLite's own structural check (`PRAGMA quick_check`): a truncated or scribbled file fails it even
    /// when its header still opens.
    public func checkIntegrity() throws {
        let result = try wrap { try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") } }
        guard result == ["ok"] else {
            throw StoreError(.catalogDamaged, "the catalog is damaged (\(result.prefix(3).joined(separator: "; "))); run folio reindex to rebuild it from git")
        }
    }

    /// Proves the catalog can be written: a row written and rolled back in an IMMEDIATE transaction.
    public func checkWritable() throws {
        try wrap {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try db.execute(sql: CatalogSchema.upsertState, arguments: ["readiness_probe", "\(Date().timeIntervalSince1970)"])
                    return .rollback
                }
            }
        }
    }

    /// GRDB's errors as `StoreError`: damage (corrupt, not a database) gets its own code.
    private static func classify(_ error: any Error, _ context: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            return StoreError(.catalogDamaged, "\(context): the catalog is damaged (\(error.message ?? "\(error.resultCode)")); run folio reindex to rebuild it from git", cause: error)
        }
        return StoreError(.unavailable, "\(context): \(error)", cause: error)
    }

    public func migrate() throws {
        var migrator = DatabaseMigrator()
        for migration in CatalogSchema.migrations {
            migrator.registerMigration(migration.name) { db in
                for statement in migration.statements { try db.execute(sql: statement) }
            }
        }
        try wrap { try migrator.migrate(pool) }
    }

    public func ingestedTip() throws -> ObjectID? {
        try wrap {
            try pool.unsafeRead { db in
                try Self.optionalID(String.fetchOne(db.cachedStatement(sql: CatalogSchema.selectState), arguments: [CatalogSchema.ingestedTipName]))
            }
        }
    }

    public func apply(_ records: [CommitRecord], newTip: ObjectID, expectedTip: ObjectID?, now: Date) throws -> Bool {
        try wrap {
            try pool.writeWithoutTransaction { db in
                var applied = false
                // IMMEDIATE takes the write lock before the tip is read, so two processes cannot both see
                // the same tip and both append (a deferred transaction would fail to upgrade instead).
                try db.inTransaction(.immediate) {
                    let tip = try String.fetchOne(db.cachedStatement(sql: CatalogSchema.selectState), arguments: [CatalogSchema.ingestedTipName])
                    guard tip == expectedTip?.hex else { return .rollback }
                    let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
                    // Prepared once per connection: a group commit runs these four statements per save.
                    let nextSeq = try db.cachedStatement(sql: CatalogSchema.nextSeq)
                    let insertRevision = try db.cachedStatement(sql: CatalogSchema.insertRevision)
                    let upsertDeleted = try db.cachedStatement(sql: CatalogSchema.upsertDeletedDocument)
                    let upsertLive = try db.cachedStatement(sql: CatalogSchema.upsertLiveDocument)
                    let upsertOutbox = try db.cachedStatement(sql: CatalogSchema.upsertOutbox)
                    for record in records {
                        let time = Int64(record.committedAt.timeIntervalSince1970)
                        let commit = record.commit.hex
                        for change in record.changes {
                            let key = change.key
                            let seq = try Int64.fetchOne(nextSeq, arguments: [key.path]) ?? 1
                            try insertRevision.execute(arguments: [
                                key.path, seq, commit, change.blob?.hex, change.action.rawValue,
                                record.author, time, record.message, change.size, record.token,
                            ])
                            if change.action == .delete {
                                try upsertDeleted.execute(arguments: [
                                    key.path, key.projectID, key.fileType.rawValue, key.name, commit,
                                    record.author, time, time,
                                ])
                            } else {
                                try upsertLive.execute(arguments: [
                                    key.path, key.projectID, key.fileType.rawValue, key.name, commit,
                                    change.blob?.hex, change.size, record.author, time, change.metadata,
                                ])
                            }
                            try upsertOutbox.execute(arguments: [key.path, commit, nowMillis])
                        }
                    }
                    try db.cachedStatement(sql: CatalogSchema.upsertState).execute(arguments: [CatalogSchema.ingestedTipName, newTip.hex])
                    applied = true
                    return .commit
                }
                return applied
            }
        }
    }

    public func document(_ key: FileKey) throws -> DocumentRecord? {
        try wrap { try pool.unsafeRead { db in try Row.fetchOne(db.cachedStatement(sql: CatalogSchema.selectDocument), arguments: [key.path]).flatMap(Self.document) } }
    }

    public func documents(projectID: String, type: FileType?) throws -> [DocumentRecord] {
        try wrap {
            try pool.unsafeRead { db in
                let rows = if let type {
                    try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectProjectDocumentsOfType), arguments: [projectID, type.rawValue])
                } else {
                    try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectProjectDocuments), arguments: [projectID])
                }
                return try rows.compactMap(Self.document)
            }
        }
    }

    public func deletedDocuments(projectID: String) throws -> [DocumentRecord] {
        try wrap {
            try pool.unsafeRead { db in
                try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectDeletedProjectDocuments), arguments: [projectID]).compactMap(Self.document)
            }
        }
    }

    public func projects() throws -> [ProjectSummary] {
        try wrap {
            try pool.unsafeRead { db in
                try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectProjects)).map { row in
                    ProjectSummary(id: row["project_id"], files: row["files"], updatedAt: Self.date(row["updated_at"]))
                }
            }
        }
    }

    public func revisions(_ key: FileKey, limit: Int, beforeSeq: Int?) throws -> [Revision] {
        try wrap {
            try pool.unsafeRead { db in
                let rows = if let beforeSeq {
                    try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectRevisionsBefore), arguments: [key.path, beforeSeq, limit])
                } else {
                    try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectRevisions), arguments: [key.path, limit])
                }
                return try rows.map(Self.revision)
            }
        }
    }

    public func outboxDue(now: Date, limit: Int) throws -> [OutboxEntry] {
        try wrap {
            try pool.unsafeRead { db in
                try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectOutboxDue), arguments: [Int64(now.timeIntervalSince1970 * 1000), limit]).map(Self.outbox)
            }
        }
    }

    public func outboxAll() throws -> [OutboxEntry] {
        try wrap { try pool.unsafeRead { db in try Row.fetchAll(db.cachedStatement(sql: CatalogSchema.selectOutboxAll)).map(Self.outbox) } }
    }

    public func outboxCompleted(_ entries: [(key: String, commit: ObjectID)]) throws {
        guard !entries.isEmpty else { return }
        try wrap {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: CatalogSchema.deleteOutbox)
                for entry in entries { try statement.execute(arguments: [entry.key, entry.commit.hex]) }
            }
        }
    }

    public func outboxFailed(_ key: String, commit: ObjectID, error: String, nextAttemptAt: Date) throws {
        try wrap {
            try pool.write { db in
                try db.cachedStatement(sql: CatalogSchema.failOutbox).execute(arguments: [error, Int64(nextAttemptAt.timeIntervalSince1970 * 1000), key, commit.hex])
            }
        }
    }

    public func enqueueMirror(_ key: String, commit: ObjectID, now: Date) throws {
        try wrap {
            try pool.write { db in
                try db.cachedStatement(sql: CatalogSchema.upsertOutbox).execute(arguments: [key, commit.hex, Int64(now.timeIntervalSince1970 * 1000)])
            }
        }
    }

    public func insertLegacy(_ key: FileKey, content: String, metadata: String?, updatedBy: String?, updatedAt: Date?) throws {
        try wrap {
            try pool.write { db in
                try db.cachedStatement(sql: CatalogSchema.insertLegacy).execute(arguments: [
                    key.path, key.projectID, key.fileType.rawValue, key.name, content.utf8.count, updatedBy,
                    updatedAt.map { Int64($0.timeIntervalSince1970) }, content, metadata,
                ])
            }
        }
    }

    public func resetDerivedState() throws {
        try wrap {
            try pool.write { db in
                for statement in CatalogSchema.resetStatements { try db.execute(sql: statement) }
            }
        }
    }

    /// Turns GRDB's errors into `StoreError` so callers see one error type.
    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw SQLiteCatalog.classify(error, "catalog error")
        }
    }

    private static func date(_ value: Int64?) -> Date? {
        value.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Ids are text in SQL; a row holding anything but a full hex id is damage, reported as such.
    private static func id(_ text: String) throws -> ObjectID {
        guard let id = ObjectID(hex: text) else {
            throw StoreError(.unavailable, "the catalog is damaged: '\(text)' is not an object id; run folio reindex")
        }
        return id
    }

    private static func optionalID(_ text: String?) throws -> ObjectID? {
        try text.map(id)
    }

    private static func document(_ row: Row) throws -> DocumentRecord? {
        guard let type = FileType(rawValue: row["file_type"]),
              let key = try? FileKey(projectID: row["project_id"], fileType: type, name: row["name"]) else { return nil }
        return DocumentRecord(
            key: key, commit: try optionalID(row["commit_id"]), blob: try optionalID(row["blob_id"]), size: row["size"], updatedBy: row["updated_by"],
            updatedAt: date(row["updated_at"]), deletedAt: date(row["deleted_at"]), legacyContent: row["legacy_content"],
            metadata: row["metadata"])
    }

    private static func revision(_ row: Row) throws -> Revision {
        Revision(
            fileKey: row["file_key"], seq: row["seq"], commit: try id(row["commit_id"]), blob: try optionalID(row["blob_id"]),
            action: Action(rawValue: row["action"]) ?? .update, author: row["author"], token: row["token"],
            committedAt: date(row["committed_at"]) ?? Date(timeIntervalSince1970: 0), message: row["message"], size: row["size"])
    }

    private static func outbox(_ row: Row) throws -> OutboxEntry {
        OutboxEntry(
            fileKey: row["file_key"], commit: try id(row["commit_id"]), attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: TimeInterval(row["next_attempt_at"] as Int64) / 1000), lastError: row["last_error"])
    }
}
