/// The catalog's SQL, in one place. Written in the dialect SQLite and PostgreSQL share (`ON CONFLICT … DO
/// UPDATE`, `BIGINT`, `?` placeholders that a PostgreSQL driver rewrites to `$n`), so both catalogs run
/// the same statements.
enum CatalogSchema {
    /// Migrations in order, under stable names; each is applied once and recorded.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1-documents-revisions-outbox", [
            """
            CREATE TABLE documents (
                file_key TEXT PRIMARY KEY,
                project_id TEXT NOT NULL,
                file_type TEXT NOT NULL,
                name TEXT NOT NULL,
                commit_id TEXT,
                blob_id TEXT,
                size BIGINT NOT NULL DEFAULT 0,
                updated_by TEXT,
                updated_at BIGINT,
                deleted_at BIGINT,
                legacy_content TEXT,
                metadata TEXT
            )
            """,
            "CREATE INDEX documents_by_project ON documents (project_id, file_type, name)",
            """
            CREATE TABLE revisions (
                file_key TEXT NOT NULL,
                seq BIGINT NOT NULL,
                commit_id TEXT NOT NULL,
                blob_id TEXT,
                action TEXT NOT NULL,
                author TEXT NOT NULL,
                committed_at BIGINT NOT NULL,
                message TEXT NOT NULL,
                size BIGINT NOT NULL,
                PRIMARY KEY (file_key, seq)
            )
            """,
            "CREATE INDEX revisions_by_commit ON revisions (commit_id, file_key)",
            """
            CREATE TABLE mirror_outbox (
                file_key TEXT PRIMARY KEY,
                commit_id TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                last_error TEXT
            )
            """,
            "CREATE INDEX mirror_outbox_due ON mirror_outbox (next_attempt_at)",
            "CREATE TABLE catalog_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
        // Nothing looks revisions up by commit; the index only cost every save a write.
        ("v2-drop-revisions-by-commit", ["DROP INDEX IF EXISTS revisions_by_commit"]),
        // Which API token made each revision (`Folio-Token:`); older revisions read theirs on reindex.
        ("v3-revision-token", ["ALTER TABLE revisions ADD COLUMN token TEXT"]),
    ]

    static let ingestedTipName = "ingested_tip"

    static let selectState = "SELECT value FROM catalog_state WHERE name = ?"
    static let upsertState = """
        INSERT INTO catalog_state (name, value) VALUES (?, ?)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value
        """
    static let nextSeq = "SELECT COALESCE(MAX(seq), 0) + 1 FROM revisions WHERE file_key = ?"
    static let insertRevision = """
        INSERT INTO revisions (file_key, seq, commit_id, blob_id, action, author, committed_at, message, size, token)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// A save: the row points at the new version; legacy content, now in git, is dropped.
    static let upsertLiveDocument = """
        INSERT INTO documents (file_key, project_id, file_type, name, commit_id, blob_id, size, updated_by, updated_at, deleted_at, legacy_content, metadata)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)
        ON CONFLICT (file_key) DO UPDATE SET
            commit_id = excluded.commit_id, blob_id = excluded.blob_id, size = excluded.size,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at, deleted_at = NULL,
            legacy_content = NULL, metadata = excluded.metadata
        """
    /// A delete: the row stays (so history and restore find the file) but marks the deletion.
    static let upsertDeletedDocument = """
        INSERT INTO documents (file_key, project_id, file_type, name, commit_id, blob_id, size, updated_by, updated_at, deleted_at, legacy_content, metadata)
        VALUES (?, ?, ?, ?, ?, NULL, 0, ?, ?, ?, NULL, NULL)
        ON CONFLICT (file_key) DO UPDATE SET
            commit_id = excluded.commit_id, blob_id = NULL, size = 0, updated_by = excluded.updated_by,
            updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, legacy_content = NULL, metadata = NULL
        """
    static let upsertOutbox = """
        INSERT INTO mirror_outbox (file_key, commit_id, attempts, next_attempt_at, last_error) VALUES (?, ?, 0, ?, NULL)
        ON CONFLICT (file_key) DO UPDATE SET commit_id = excluded.commit_id, attempts = 0,
            next_attempt_at = excluded.next_attempt_at, last_error = NULL
        """
    static let documentColumns = "file_key, project_id, file_type, name, commit_id, blob_id, size, updated_by, updated_at, deleted_at, legacy_content, metadata"
    static let selectDocument = "SELECT \(documentColumns) FROM documents WHERE file_key = ?"
    static let liveCondition = "deleted_at IS NULL AND (commit_id IS NOT NULL OR legacy_content IS NOT NULL)"
    static let selectProjectDocuments = "SELECT \(documentColumns) FROM documents WHERE project_id = ? AND \(liveCondition) ORDER BY file_type, name"
    static let selectProjectDocumentsOfType = "SELECT \(documentColumns) FROM documents WHERE project_id = ? AND file_type = ? AND \(liveCondition) ORDER BY name"
    /// Deleted files of a project (their rows stay so history and restore find them), newest deletion first.
    static let selectDeletedProjectDocuments =
        "SELECT \(documentColumns) FROM documents WHERE project_id = ? AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, file_type, name"
    /// Every project with live files: how many, and when the latest change was.
    static let selectProjects = """
        SELECT project_id, COUNT(*) AS files, MAX(updated_at) AS updated_at FROM documents
        WHERE \(liveCondition) GROUP BY project_id ORDER BY project_id
        """
    static let revisionColumns = "file_key, seq, commit_id, blob_id, action, author, committed_at, message, size, token"
    static let selectRevisions = "SELECT \(revisionColumns) FROM revisions WHERE file_key = ? ORDER BY seq DESC LIMIT ?"
    static let selectRevisionsBefore = "SELECT \(revisionColumns) FROM revisions WHERE file_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
    static let outboxColumns = "file_key, commit_id, attempts, next_attempt_at, last_error"
    static let selectOutboxDue = "SELECT \(outboxColumns) FROM mirror_outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, file_key LIMIT ?"
    static let selectOutboxAll = "SELECT \(outboxColumns) FROM mirror_outbox ORDER BY file_key"
    static let deleteOutbox = "DELETE FROM mirror_outbox WHERE file_key = ? AND commit_id = ?"
    static let failOutbox = "UPDATE mirror_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE file_key = ? AND commit_id = ?"
    static let insertLegacy = """
        INSERT INTO documents (file_key, project_id, file_type, name, size, updated_by, updated_at, legacy_content, metadata)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (file_key) DO UPDATE SET legacy_content = excluded.legacy_content, metadata = excluded.metadata,
            size = excluded.size, updated_by = excluded.updated_by, updated_at = excluded.updated_at
        WHERE documents.commit_id IS NULL
        """
    static let resetStatements = [
        "DELETE FROM revisions",
        "DELETE FROM mirror_outbox",
        "DELETE FROM documents WHERE legacy_content IS NULL",
        "DELETE FROM catalog_state WHERE name = 'ingested_tip'",
    ]
}
