internal import FolioGit
import FolioSupport
import Foundation

/// One commit's worth of changes, waiting for the commit writer: one or more files, one author.
struct WriteRequest: Sendable {
    /// What happens to one file.
    enum Kind: Sendable {
        /// Put a version of the file. `restoring` marks a restore (its own action in history).
        case put(content: String, metadata: [String: JSONValue], baseCommit: ObjectID?, restoring: Bool)
        /// Put an envelope that is in git already (a pushed file being landed on the branch), based on
        /// `baseCommit`: kept byte for byte when the file is still as it was there, merged as a `put`
        /// with that base otherwise.
        case putBlob(blob: ObjectID, baseCommit: ObjectID?)
        /// Remove the file from the branch (its history stays).
        case delete
        /// A pushed delete being landed, based on `baseCommit`: removes the file if the branch still has
        /// it as it was there, does nothing if it is gone already, and conflicts if it was saved since.
        /// Reported only when it removed something.
        case deleteIfUnchanged(baseCommit: ObjectID?)
    }

    /// One file's change.
    struct Change: Sendable {
        var key: FileKey
        var kind: Kind
    }

    /// Applied in order; a key appears at most once.
    var changes: [Change]
    var author: Signature
    var userMessage: String?
    /// The name of the API token the request came through, recorded in the commit.
    var token: String?
    /// The author date, when it is not the commit's time (a row moved from the old system keeps the
    /// time it was last edited there).
    var authorTime: Date?

    /// A request that changes one file.
    init(key: FileKey, kind: Kind, author: Signature, userMessage: String?, token: String? = nil) {
        self.init(changes: [Change(key: key, kind: kind)], author: author, userMessage: userMessage, token: token)
    }

    init(changes: [Change], author: Signature, userMessage: String?, token: String? = nil) {
        self.changes = changes
        self.author = author
        self.userMessage = userMessage
        self.token = token
    }
}
