import FolioSupport
import Foundation

/// A file's row in the catalog: where its current version is, or its legacy content.
public struct DocumentRecord: Sendable, Equatable {
    /// The file.
    public var key: FileKey
    /// The commit of its current version (nil for a legacy row not yet saved through Folio).
    public var commit: ObjectID?
    /// The current envelope's blob.
    public var blob: ObjectID?
    /// The envelope's size in bytes.
    public var size: Int
    /// Who saved the current version.
    public var updatedBy: String?
    /// When.
    public var updatedAt: Date?
    /// Set when the file was deleted (history stays).
    public var deletedAt: Date?
    /// Content from the old system's database, for rows that have never been saved through Folio.
    public var legacyContent: String?
    /// The current envelope's metadata, as JSON text.
    public var metadata: String?

    /// True when the file exists now (saved or legacy, and not deleted).
    public var isLive: Bool { deletedAt == nil && (commit != nil || legacyContent != nil) }
}

/// A row waiting for the mirror: the file's latest commit that the mirror has not yet reflected.
public struct OutboxEntry: Sendable, Equatable {
    /// The file.
    public var fileKey: String
    /// The commit to mirror (its version, or its removal).
    public var commit: ObjectID
    /// Failed attempts so far.
    public var attempts: Int
    /// Not before this time.
    public var nextAttemptAt: Date
    /// The last failure, for `folio mirror status`.
    public var lastError: String?
}
