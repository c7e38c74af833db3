import FolioSupport
import Foundation

/// A group commit's catalog rows as one PostgreSQL statement: the revisions, the files' rows and their
/// outbox entries go in together through data-modifying CTEs, so a batch costs one round trip however
/// many saves it holds (the SQLite catalog runs the shared per-row statements instead; there a
/// statement is a function call, not a network round trip).
struct PostgresBatch {
    /// Placeholders stay well under PostgreSQL's 65,535 per statement: 25 per change.
    static let changesPerStatement = 1_000

    var sql: String
    var parameters: [String?]

    /// The statements recording `records` (oldest first), each covering at most `changesPerStatement` changes.
    static func statements(for records: [CommitRecord], now: Date) -> [PostgresBatch] {
        let flat = flatten(records)
        let nowMillis = String(Int64(now.timeIntervalSince1970 * 1000))
        return stride(from: 0, to: flat.count, by: changesPerStatement).map { start in
            make(Array(flat[start..<min(start + changesPerStatement, flat.count)]), nowMillis: nowMillis, tip: nil)
        }
    }

    /// The whole of a group commit's catalog write as one statement, when it fits in one: the rows are
    /// written and the ingested tip moved to `newTip` only if the recorded tip is still `expectedTip`; the
    /// statement answers 1 when it was, 0 when nothing was written. Run after the writers' lock is taken,
    /// so the statement's snapshot holds the last writer's tip. nil when the batch needs several statements.
    static func guarded(_ records: [CommitRecord], now: Date, expectedTip: String?, newTip: String) -> PostgresBatch? {
        let flat = flatten(records)
        guard flat.count <= changesPerStatement else { return nil }
        return make(flat, nowMillis: String(Int64(now.timeIntervalSince1970 * 1000)), tip: (expectedTip, newTip))
    }

    private static func flatten(_ records: [CommitRecord]) -> [(record: CommitRecord, change: CommitRecord.Change)] {
        var flat: [(record: CommitRecord, change: CommitRecord.Change)] = []
        for record in records { for change in record.changes { flat.append((record, change)) } }
        return flat
    }

    private static func make(
        _ changes: [(record: CommitRecord, change: CommitRecord.Change)], nowMillis: String, tip: (expected: String?, new: String)?
    ) -> PostgresBatch {
        var parameters: [String?] = []
        func placeholders(_ values: [String?], casts: [String]) -> String {
            var parts: [String] = []
            for (value, cast) in zip(values, casts) {
                parameters.append(value)
                parts.append("$\(parameters.count)::\(cast)")
            }
            return "(" + parts.joined(separator: ", ") + ")"
        }
        // A file changed twice in one statement gets consecutive seqs after its stored maximum.
        var ordinal: [String: Int] = [:]
        var revisionRows: [String] = []
        // A file's row and outbox entry end as its last change left them; ON CONFLICT may touch a row once
        // per statement, so only that last change is written.
        var lastChange: [String: Int] = [:]
        for (index, item) in changes.enumerated() {
            let key = item.change.key.path
            ordinal[key, default: 0] += 1
            lastChange[key] = index
            let time = String(Int64(item.record.committedAt.timeIntervalSince1970))
            revisionRows.append(placeholders(
                [key, String(ordinal[key]!), item.record.commit.hex, item.change.blob?.hex, item.change.action.rawValue,
                 item.record.author, time, item.record.message, String(item.change.size), item.record.token],
                casts: ["text", "bigint", "text", "text", "text", "text", "bigint", "text", "bigint", "text"]))
        }
        var documentRows: [String] = []
        var outboxRows: [String] = []
        for index in lastChange.values.sorted() {
            let (record, change) = changes[index]
            let key = change.key
            let time = String(Int64(record.committedAt.timeIntervalSince1970))
            let deleted = change.action == .delete
            documentRows.append(placeholders(
                [key.path, key.projectID, key.fileType.rawValue, key.name, record.commit.hex, deleted ? nil : change.blob?.hex,
                 deleted ? "0" : String(change.size), record.author, time, deleted ? time : nil, deleted ? nil : change.metadata],
                casts: ["text", "text", "text", "text", "text", "text", "bigint", "text", "bigint", "bigint", "text"]))
            outboxRows.append(placeholders([key.path, record.commit.hex, nowMillis], casts: ["text", "text", "bigint"]))
        }
        // With a tip to check, every write is conditional on it (`WHERE EXISTS (SELECT 1 FROM tip_ok)`);
        // without, the caller checked it already.
        var ctes: [String] = []
        // Always a WHERE: it also keeps `INSERT … SELECT … FROM (VALUES …) AS d ON CONFLICT` from parsing
        // ON as a join condition.
        var condition = " WHERE true"
        if let tip {
            parameters.append(tip.expected)
            let expected = "$\(parameters.count)::text"
            parameters.append(tip.new)
            let new = "$\(parameters.count)::text"
            ctes.append("""
                tip_ok AS (SELECT 1 WHERE (SELECT value FROM catalog_state WHERE name = '\(CatalogSchema.ingestedTipName)') IS NOT DISTINCT FROM \(expected))
                """)
            ctes.append("""
                state_row AS (
                    INSERT INTO catalog_state (name, value) SELECT '\(CatalogSchema.ingestedTipName)', \(new) WHERE EXISTS (SELECT 1 FROM tip_ok)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value
                    RETURNING 1)
                """)
            condition = " WHERE EXISTS (SELECT 1 FROM tip_ok)"
        }
        // The same effect as the shared upsertLiveDocument / upsertDeletedDocument / upsertOutbox, per row.
        if !changes.isEmpty {
            ctes.append("""
                v (file_key, ordinal, commit_id, blob_id, action, author, committed_at, message, size, token) AS (
                    VALUES \(revisionRows.joined(separator: ", "))
                ), revision_rows AS (
                    INSERT INTO revisions (file_key, seq, commit_id, blob_id, action, author, committed_at, message, size, token)
                    SELECT v.file_key, COALESCE((SELECT MAX(r.seq) FROM revisions r WHERE r.file_key = v.file_key), 0) + v.ordinal,
                        v.commit_id, v.blob_id, v.action, v.author, v.committed_at, v.message, v.size, v.token
                    FROM v\(condition)
                    RETURNING 1
                ), document_rows AS (
                    INSERT INTO documents (file_key, project_id, file_type, name, commit_id, blob_id, size, updated_by, updated_at, deleted_at, metadata)
                    SELECT * FROM (VALUES \(documentRows.joined(separator: ", "))) AS d\(condition)
                    ON CONFLICT (file_key) DO UPDATE SET
                        commit_id = excluded.commit_id, blob_id = excluded.blob_id, size = excluded.size,
                        updated_by = excluded.updated_by, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
                        legacy_content = NULL, metadata = excluded.metadata
                    RETURNING 1
                ), outbox_rows AS (
                    INSERT INTO mirror_outbox (file_key, commit_id, next_attempt_at)
                    SELECT * FROM (VALUES \(outboxRows.joined(separator: ", "))) AS o\(condition)
                    ON CONFLICT (file_key) DO UPDATE SET commit_id = excluded.commit_id, attempts = 0,
                        next_attempt_at = excluded.next_attempt_at, last_error = NULL
                    RETURNING 1
                )
                """)
        }
        // Data-modifying CTEs run whether or not the final SELECT reads them; it answers whether the tip matched.
        let answer = tip == nil ? "SELECT 1" : "SELECT count(*) FROM tip_ok"
        let sql = "WITH " + ctes.joined(separator: ", ") + "\n" + answer
        return PostgresBatch(sql: sql, parameters: parameters)
    }
}
