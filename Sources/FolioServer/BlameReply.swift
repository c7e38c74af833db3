import FolioStore
import Foundation
import FolioSupport

/// Every line of a version with the revision that last changed it: `GET …/blame/` and `folio blame --json`.
public struct BlameReply: Encodable {
    struct Line: Encodable {
        var line: Int
        var text: String
        var commit: ObjectID
        var seq: Int
        var author: String
        var committed_at: Date
        var action: String
    }

    var file_key: String
    var commit: ObjectID
    var lines: [Line]

    /// The reply for `blame`.
    public init(_ blame: Blame) {
        file_key = blame.fileKey
        commit = blame.commit
        lines = blame.lines.map {
            Line(line: $0.line, text: $0.text, commit: $0.revision.commit, seq: $0.revision.seq, author: $0.revision.author,
                 committed_at: $0.revision.committedAt, action: $0.revision.action.rawValue)
        }
    }
}
