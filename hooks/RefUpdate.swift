import FolioSupport
import FolioStore

/// One line of what git hands `pre-receive` and `post-receive` on standard input:
/// `<old id> <new id> <ref name>`, with an all-zero id for a ref that is created or deleted.
public struct RefUpdate: Sendable, Equatable {
    /// Where the ref was, nil when the push creates it.
    public var old: ObjectID?
    /// Where the push moves it, nil when the push deletes it.
    public var new: ObjectID?
    /// The full ref name, e.g. `refs/heads/main`.
    public var name: String

    public init(old: ObjectID?, new: ObjectID?, name: String) {
        self.old = old
        self.new = new
        self.name = name
    }

    /// Parses the hook's standard input; a line that is not three fields with two ids is an error (git
    /// never writes one, so something else is calling the hook).
    public static func parse(_ text: String) throws -> [RefUpdate] {
        try text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let old = ObjectID(hex: String(fields[0])), let new = ObjectID(hex: String(fields[1])) else {
                throw StoreError.invalid("stdin", "'\(line.prefix(120))' is not a ref update line (OLD NEW REF) as git writes for a receive hook")
            }
            return RefUpdate(old: old.isZero ? nil : old, new: new.isZero ? nil : new, name: String(fields[2]))
        }
    }
}

extension ObjectID {
    /// git's all-zero id, which stands for "no object" in hook input.
    var isZero: Bool { hex.allSatisfy { $0 == "0" } }
}
