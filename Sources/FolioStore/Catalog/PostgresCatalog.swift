import FolioSupport
import Foundation
internal import FolioPostgres

/// The catalog on PostgreSQL, for deployments where several `folio serve` processes share one database.
///
/// The same schema, migrations and statements as `SQLiteCatalog` (`CatalogSchema`, placeholders numbered
/// for PostgreSQL), through a pool of libpq connections. Writers serialise on a transaction-scoped
/// advisory lock, taken before the ingested tip is read: every process's `apply` and `resetDerivedState`
/// runs one at a time, and the tip's compare-and-swap sees the last committed writer's tip.
public final class PostgresCatalog: Catalog {
    private let pool: PostgresPool
    /// The URL with its password hidden, for messages.
    let displayURL: String

    /// The key of the advisory lock writers hold for their transaction ("FOLIOCAT" as a number).
    static let writerLock = "5137424146624001364"

    /// Connects (checking the server answers) and applies pending migrations. `poolSize` bounds the
    /// connections this process holds.
    public init(url: String, poolSize: Int = 10) throws {
        pool = PostgresPool(url: url, size: poolSize)
        displayURL = PostgresCatalog.redacted(url)
        try migrate()
        try checkIntegrity()
    }

    /// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    public func migrate() throws {
        try write { connection in
            // One migrator at a time across processes; DDL is transactional, so a failed migration
            // leaves the schema as it was.
            try connection.transaction(prologue: "SELECT pg_advisory_xact_lock(\(Self.writerLock))") { connection in
                try connection.query("CREATE TABLE IF NOT EXISTS folio_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                let applied = Set(try connection.query("SELECT name FROM folio_migrations").rows.compactMap { $0.first ?? nil })
                for migration in CatalogSchema.migrations where !applied.contains(migration.name) {
                    for statement in migration.statements { try connection.query(numberedPlaceholders(statement)) }
                    try connection.query("INSERT INTO folio_migrations (name, applied_at) VALUES ($1, $2)", [
                        migration.name, String(Int64(Date().timeIntervalSince1970)),
                    ])
                }
            }
        }
    }

    /// The catalog's tables must all be there and every known migration recorded.
    public func checkIntegrity() throws {
        let (missingTables, recorded) = try read { connection in
            let tables = try connection.query(
                "SELECT to_regclass('documents') IS NULL, to_regclass('revisions') IS NULL, to_regclass('mirror_outbox') IS NULL, to_regclass('catalog_state') IS NULL")
            let missing = (tables.rows.first ?? []).contains { $0 == "t" }
            let names = Set(try connection.query("SELECT name FROM folio_migrations").rows.compactMap { $0.first ?? nil })
            return (missing, names)
        }
        let unknown = CatalogSchema.migrations.map(\.name).filter { !recorded.contains($0) }
        guard !missingTables, unknown.isEmpty else {
            throw StoreError(.catalogDamaged, "the PostgreSQL catalog at \(displayURL) is incomplete (tables missing or migrations \(unknown) not recorded); run folio reindex to rebuild it from git")
        }
    }

    /// A row written and rolled back: proves the database takes writes (not read-only, not out of space).
    public func checkWritable() throws {
        try write { connection in
            try connection.execute("BEGIN")
            defer { if connection.isUsable { try? connection.execute("ROLLBACK") } }
            try connection.query(numberedPlaceholders(CatalogSchema.upsertState), ["readiness_probe", "\(Date().timeIntervalSince1970)"])
        }
    }

    public func ingestedTip() throws -> ObjectID? {
        try read { connection in
            try Self.optionalID(connection.query(numberedPlaceholders(CatalogSchema.selectState), [CatalogSchema.ingestedTipName]).scalar)
        }
    }

    /// Retried once on a broken connection: if the first attempt's COMMIT did land, the tip has moved
    /// and the retry's compare-and-swap answers false, which the caller's catch-up settles.
    public func apply(_ records: [CommitRecord], newTip: ObjectID, expectedTip: ObjectID?, now: Date) throws -> Bool {
        try write { connection in
            try connection.transaction(prologue: "SELECT pg_advisory_xact_lock(\(Self.writerLock))") { connection in
                // A group commit's rows fit one statement that checks the tip itself: three round trips
                // in all (BEGIN with the lock, the statement, COMMIT).
                if let single = PostgresBatch.guarded(records, now: now, expectedTip: expectedTip?.hex, newTip: newTip.hex) {
                    return try connection.query(single.sql, single.parameters).scalar == "1"
                }
                let tip = try connection.query(numberedPlaceholders(CatalogSchema.selectState), [CatalogSchema.ingestedTipName]).scalar
                guard tip == expectedTip?.hex else { return false }
                for batch in PostgresBatch.statements(for: records, now: now) {
                    try connection.query(batch.sql, batch.parameters)
                }
                try connection.query(numberedPlaceholders(CatalogSchema.upsertState), [CatalogSchema.ingestedTipName, newTip.hex])
                return true
            }
        }
    }

    public func document(_ key: FileKey) throws -> DocumentRecord? {
        try read { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.selectDocument), [key.path]).named.first.flatMap(Self.document)
        }
    }

    public func documents(projectID: String, type: FileType?) throws -> [DocumentRecord] {
        try read { connection in
            let rows = if let type {
                try connection.query(numberedPlaceholders(CatalogSchema.selectProjectDocumentsOfType), [projectID, type.rawValue])
            } else {
                try connection.query(numberedPlaceholders(CatalogSchema.selectProjectDocuments), [projectID])
            }
            return try rows.named.compactMap(Self.document)
        }
    }

    public func deletedDocuments(projectID: String) throws -> [DocumentRecord] {
        try read { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.selectDeletedProjectDocuments), [projectID]).named.compactMap(Self.document)
        }
    }

    public func projects() throws -> [ProjectSummary] {
        try read { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.selectProjects), []).named.map { row in
                ProjectSummary(id: row["project_id"] ?? "", files: Int(try Self.int(row, "files")), updatedAt: Self.date(row, "updated_at"))
            }
        }
    }

    public func revisions(_ key: FileKey, limit: Int, beforeSeq: Int?) throws -> [Revision] {
        try read { connection in
            let rows = if let beforeSeq {
                try connection.query(numberedPlaceholders(CatalogSchema.selectRevisionsBefore), [key.path, String(beforeSeq), String(limit)])
            } else {
                try connection.query(numberedPlaceholders(CatalogSchema.selectRevisions), [key.path, String(limit)])
            }
            return try rows.named.map(Self.revision)
        }
    }

    public func outboxDue(now: Date, limit: Int) throws -> [OutboxEntry] {
        try read { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.selectOutboxDue), [String(Int64(now.timeIntervalSince1970 * 1000)), String(limit)])
                .named.map(Self.outbox)
        }
    }

    public func outboxAll() throws -> [OutboxEntry] {
        try read { connection in try connection.query(CatalogSchema.selectOutboxAll).named.map(Self.outbox) }
    }

    /// One statement per 500 rows, under the writers' advisory lock: a group commit's `apply` upserts
    /// outbox rows too, and two transactions locking the same rows in different orders would deadlock.
    public func outboxCompleted(_ entries: [(key: String, commit: ObjectID)]) throws {
        guard !entries.isEmpty else { return }
        try write { connection in
            try connection.transaction(prologue: "SELECT pg_advisory_xact_lock(\(Self.writerLock))") { connection in
                for start in stride(from: 0, to: entries.count, by: 500) {
                    let chunk = entries[start..<min(start + 500, entries.count)]
                    let rows = chunk.indices.map { "($\(2 * ($0 - start) + 1), $\(2 * ($0 - start) + 2))" }.joined(separator: ", ")
                    try connection.query(
                        "DELETE FROM mirror_outbox AS o USING (VALUES \(rows)) AS done (file_key, commit_id) "
                            + "WHERE o.file_key = done.file_key AND o.commit_id = done.commit_id",
                        chunk.flatMap { [$0.key, $0.commit.hex] })
                }
            }
        }
    }

    public func outboxFailed(_ key: String, commit: ObjectID, error: String, nextAttemptAt: Date) throws {
        try write { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.failOutbox), [
                error, String(Int64(nextAttemptAt.timeIntervalSince1970 * 1000)), key, commit.hex,
            ])
        }
    }

    public func enqueueMirror(_ key: String, commit: ObjectID, now: Date) throws {
        try write { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.upsertOutbox), [key, commit.hex, String(Int64(now.timeIntervalSince1970 * 1000))])
        }
    }

    public func insertLegacy(_ key: FileKey, content: String, metadata: String?, updatedBy: String?, updatedAt: Date?) throws {
        try write { connection in
            try connection.query(numberedPlaceholders(CatalogSchema.insertLegacy), [
                key.path, key.projectID, key.fileType.rawValue, key.name, String(content.utf8.count), updatedBy,
                updatedAt.map { String(Int64($0.timeIntervalSince1970)) }, content, metadata,
            ])
        }
    }

    public func resetDerivedState() throws {
        try write { connection in
            try connection.transaction(prologue: "SELECT pg_advisory_xact_lock(\(Self.writerLock))") { connection in
                for statement in CatalogSchema.resetStatements { try connection.query(statement) }
            }
        }
    }

    // MARK: Connections and errors

    /// A read: a single statement, retried once on a fresh connection if the pooled one had broken.
    private func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try wrap { try pool.withConnection(retry: true, body) }
    }

    /// A write, retried once on a broken connection: every write here is an upsert, a delete, a
    /// transaction guarded by the tip's compare-and-swap, or a retry counter, so running it twice is harmless.
    @discardableResult
    private func write<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try wrap { try pool.withConnection(retry: true, body) }
    }

    /// PostgreSQL's errors as `StoreError`: the server unreachable or the connection lost is `.unavailable`.
    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as PostgresError {
            let what = switch error.kind {
            case .connect: "cannot connect to the PostgreSQL catalog at \(displayURL)"
            case .connectionLost: "lost the connection to the PostgreSQL catalog at \(displayURL)"
            case .sql: "the PostgreSQL catalog refused a statement"
            }
            throw StoreError(.unavailable, "\(what): \(error)", cause: error)
        } catch {
            throw StoreError(.unavailable, "catalog error: \(error)", cause: error)
        }
    }

    // MARK: Rows

    private static func int(_ row: PostgresRows.Row, _ column: String) throws -> Int64 {
        guard let value = row.int(column) else {
            throw StoreError(.unavailable, "the catalog is damaged: \(column) is '\(row[column] ?? "NULL")', not a number; run folio reindex")
        }
        return value
    }

    private static func date(_ row: PostgresRows.Row, _ column: String) -> Date? {
        row.int(column).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Ids are text in SQL; a row holding anything but a full hex id is damage, reported as such.
    private static func id(_ text: String?) throws -> ObjectID {
        guard let text, let id = ObjectID(hex: text) else {
            throw StoreError(.unavailable, "the catalog is damaged: '\(text ?? "NULL")' is not an object id; run folio reindex")
        }
        return id
    }

    private static func optionalID(_ text: String?) throws -> ObjectID? {
        try text.map(id)
    }

    private static func document(_ row: PostgresRows.Row) throws -> DocumentRecord? {
        guard let type = row["file_type"].flatMap(FileType.init(rawValue:)), let project = row["project_id"], let name = row["name"],
              let key = try? FileKey(projectID: project, fileType: type, name: name) else { return nil }
        return DocumentRecord(
            key: key, commit: try optionalID(row["commit_id"]), blob: try optionalID(row["blob_id"]), size: Int(try int(row, "size")),
            updatedBy: row["updated_by"], updatedAt: date(row, "updated_at"), deletedAt: date(row, "deleted_at"),
            legacyContent: row["legacy_content"], metadata: row["metadata"])
    }

    private static func revision(_ row: PostgresRows.Row) throws -> Revision {
        Revision(
            fileKey: row["file_key"] ?? "", seq: Int(try int(row, "seq")), commit: try id(row["commit_id"]), blob: try optionalID(row["blob_id"]),
            action: row["action"].flatMap(Action.init(rawValue:)) ?? .update, author: row["author"] ?? "", token: row["token"],
            committedAt: date(row, "committed_at") ?? Date(timeIntervalSince1970: 0), message: row["message"] ?? "", size: Int(try int(row, "size")))
    }

    private static func outbox(_ row: PostgresRows.Row) throws -> OutboxEntry {
        OutboxEntry(
            fileKey: row["file_key"] ?? "", commit: try id(row["commit_id"]), attempts: Int(try int(row, "attempts")),
            nextAttemptAt: Date(timeIntervalSince1970: TimeInterval(try int(row, "next_attempt_at")) / 1000), lastError: row["last_error"])
    }
}
