import FolioSupport

/// The answer to a save, delete or restore.
public struct SaveResult: Sendable, Equatable, Codable {
    /// The file's key.
    public var fileKey: String
    /// The commit now holding the file's current version (for a no-op save: the existing one).
    public var commit: ObjectID
    /// False when the save changed nothing and made no commit.
    public var changed: Bool
    /// True when a stale `base_commit` was merged cleanly with the newer version.
    public var merged: Bool
    /// True when the save created the file (or brought a deleted file back).
    public var created: Bool
    /// What the commit did (nil when nothing changed).
    public var action: Action?

    enum CodingKeys: String, CodingKey {
        case fileKey = "file_key", commit, changed, merged, created, action
    }
}
