import FolioSupport
import Foundation

/// The catalog: for every file its key and current commit, one row per revision, and the mirror outbox.
///
/// Derived from git and rebuildable from it (`reindex`). Calls are synchronous: the commit writer runs on
/// its own thread and the catalog's work is short, indexed lookups. An implementation serialises writers
/// itself (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock, which also covers
/// a catalog whose tip row does not exist yet).
public protocol Catalog: Sendable {
    /// Creates or upgrades the schema (idempotent).
    func migrate() throws

    /// Checks the catalog's structure; throws `.catalogDamaged` when it is damaged.
    func checkIntegrity() throws

    /// Proves that a write would succeed, changing nothing.
    func checkWritable() throws

    /// The last commit whose changes the catalog holds.
    func ingestedTip() throws -> ObjectID?

    /// In one transaction: records `records` (oldest first) and moves the ingested tip to `newTip` — but
    /// only if the tip is still `expectedTip`; returns false (and changes nothing) when another writer
    /// got there first, so the caller can catch up from git and try again.
    func apply(_ records: [CommitRecord], newTip: ObjectID, expectedTip: ObjectID?, now: Date) throws -> Bool

    /// A file's row, whether live, deleted or legacy.
    func document(_ key: FileKey) throws -> DocumentRecord?

    /// A project's live files, optionally of one type, ordered by type and name.
    func documents(projectID: String, type: FileType?) throws -> [DocumentRecord]

    /// A project's deleted files, most recently deleted first.
    func deletedDocuments(projectID: String) throws -> [DocumentRecord]

    /// Every project that has live files, ordered by id.
    func projects() throws -> [ProjectSummary]

    /// A file's revisions, newest first, older than `beforeSeq` when given.
    func revisions(_ key: FileKey, limit: Int, beforeSeq: Int?) throws -> [Revision]

    /// Outbox rows due at `now`, oldest first.
    func outboxDue(now: Date, limit: Int) throws -> [OutboxEntry]

    /// Every outbox row (for status).
    func outboxAll() throws -> [OutboxEntry]

    /// Removes the outbox row of each `key` that still names its `commit` (a newer save keeps its own
    /// row), all in one transaction.
    func outboxCompleted(_ entries: [(key: String, commit: ObjectID)]) throws

    /// Records a failed mirror attempt and when to try again.
    func outboxFailed(_ key: String, commit: ObjectID, error: String, nextAttemptAt: Date) throws

    /// Queues `key` for the mirror at `commit` (used by `mirror sync` to re-push everything).
    func enqueueMirror(_ key: String, commit: ObjectID, now: Date) throws

    /// Adds a file from the old system's database (content kept in the catalog until its first save).
    func insertLegacy(_ key: FileKey, content: String, metadata: String?, updatedBy: String?, updatedAt: Date?) throws

    /// Forgets everything derived from git (revisions, outbox, saved files, the ingested tip) so that
    /// ingest can rebuild it; legacy rows stay.
    func resetDerivedState() throws
}
