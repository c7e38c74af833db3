import FolioSupport

/// Why a push is refused, for one ref, commit or path, with what to do about it. The hook prints one
/// per line; git shows them to the pusher prefixed with `remote:`.
public struct PushProblem: Sendable, Equatable, CustomStringConvertible {
    /// The ref the update was for.
    public var ref: String
    /// The commit at fault, when the problem is in one.
    public var commit: ObjectID?
    /// The commit's subject line, to recognise it by.
    public var subject: String?
    /// The file at fault, when the problem is one file.
    public var path: String?
    /// What is wrong.
    public var problem: String
    /// How to fix it.
    public var fix: String

    public var description: String {
        var where_ = ref
        if let commit {
            where_ = "commit \(commit.short)"
            if let subject, !subject.isEmpty { where_ += " (\"\(subject.prefix(60))\")" }
        }
        if let path { where_ += ", \(path)" }
        return "\(where_): \(problem); \(fix)"
    }
}
