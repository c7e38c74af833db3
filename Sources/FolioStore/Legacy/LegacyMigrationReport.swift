import Foundation

/// What `folio migrate-legacy` did (or, with `--dry-run`, would do).
public struct LegacyMigrationReport: Sendable, Codable {
    /// Why a row was not moved.
    public enum SkipReason: String, Sendable, Codable, CaseIterable {
        /// No content (NULL or empty): nothing to move.
        case emptyContent = "empty_content"
        /// The project id cannot be part of a key (the name is always mapped).
        case invalidName = "invalid_name"
        /// More than FOLIO_MAX_CONTENT_BYTES.
        case contentOverLimit = "content_over_limit"
        /// Bytes that are not UTF-8 text.
        case invalidText = "invalid_text"
    }

    /// One row that was skipped or failed.
    public struct RowNote: Sendable, Codable, Equatable {
        /// The table it is in.
        public var table: String
        /// Its id.
        public var id: String
        /// The reason (a skip reason or a failure's message).
        public var reason: String
    }

    /// One name the key rules refused, and the name it was given.
    public struct Mapping: Sendable, Codable, Equatable {
        public var table: String
        public var id: String
        public var from: String
        public var to: String
    }

    /// Rows in the old tables.
    public var rows = 0
    /// Rows committed to git by this run (each its own commit).
    public var moved = 0
    /// Rows whose content git already had as the current version (a re-run after an interruption, or a
    /// row moved by its first save through Folio): not committed again, only written back.
    public var alreadyInGit = 0
    /// Rows moved by an earlier run (their key column names their Folio key and git has the file).
    public var alreadyMoved = 0
    /// Rows not moved, by reason.
    public var skipped: [String: Int] = [:]
    /// Rows that could not be saved.
    public var failed = 0
    /// Whether nothing was written (`--dry-run`); `moved` then counts rows that would be.
    public var dryRun = false
    /// Skipped and failed rows with their reasons.
    public var notes: [RowNote] = []
    /// Names mapped by the rule in README.
    public var mappings: [Mapping] = []
    /// Seconds the run took.
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case rows, moved, alreadyInGit = "already_in_git", alreadyMoved = "already_moved", skipped, failed, dryRun = "dry_run", notes, mappings, seconds
    }

    mutating func skip(_ reason: SkipReason, table: String, id: String) {
        skipped[reason.rawValue, default: 0] += 1
        notes.append(RowNote(table: table, id: id, reason: reason.rawValue))
    }

    mutating func fail(_ message: String, table: String, id: String) {
        failed += 1
        notes.append(RowNote(table: table, id: id, reason: message))
    }
}
