import FolioGit
import Foundation

/// One change waiting for the commit writer.
struct WriteRequest: Sendable {
    enum Kind: Sendable {
        /// Put a version of the file. `restoring` marks a restore (its own action in history).
        case put(content: String, metadata: [String: JSONValue], baseCommit: ObjectID?, restoring: Bool)
        /// Remove the file from the branch (its history stays).
        case delete
    }

    var key: FileKey
    var kind: Kind
    var author: Signature
    var userMessage: String?
}
