import FolioSupport
import Foundation

/// One entry in a file's history: a commit that changed it.
public struct Revision: Sendable, Equatable, Codable {
    /// The file.
    public var fileKey: String
    /// Its position in the file's history, from 1; history pages by this number.
    public var seq: Int
    /// The commit.
    public var commit: ObjectID
    /// The file's blob after the commit (nil for a delete).
    public var blob: ObjectID?
    /// What the commit did to the file.
    public var action: Action
    /// The saving user (the commit's author name).
    public var author: String
    /// The API token the save came through, when it came through one.
    public var token: String?
    /// When the commit was made.
    public var committedAt: Date
    /// The user's message (empty when none was given).
    public var message: String
    /// The envelope's size in bytes (0 for a delete).
    public var size: Int
}

/// A page of history, newest first.
public struct HistoryPage: Sendable, Equatable {
    /// The revisions on this page.
    public var revisions: [Revision]
    /// Pass as `cursor` to get the next (older) page; nil on the last page.
    public var nextCursor: String?
}
