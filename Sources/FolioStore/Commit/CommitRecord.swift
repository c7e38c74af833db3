internal import FolioGit
import Foundation
import FolioSupport

/// What the catalog learns from one commit. The save path builds these from what it just wrote; ingest
/// builds them by reading git. Both feed the same `Catalog.apply`, so a rebuilt catalog has the same rows.
public struct CommitRecord: Sendable {
    /// One file the commit changed.
    public struct Change: Sendable {
        /// The file.
        public var key: FileKey
        /// What the commit did to it.
        public var action: Action
        /// The new blob, nil for a delete.
        public var blob: ObjectID?
        /// The new envelope's size in bytes (0 for a delete).
        public var size: Int
        /// The new envelope's metadata as canonical JSON text, nil for a delete.
        public var metadata: String?
    }

    /// The commit.
    public var commit: ObjectID
    /// Its author's name (the saving user).
    public var author: String
    /// The API token it came through (`Folio-Token:`), nil for saves made without one.
    public var token: String?
    /// Its committer time.
    public var committedAt: Date
    /// The user's part of the message (see `CommitMessage.userMessage`).
    public var message: String
    /// The files it changed that are Folio files.
    public var changes: [Change]
}
