import FolioSupport

/// One file of a batch save (`DocumentStore.saveBatch`): a new version of it, or its deletion.
public struct BatchFile: Sendable {
    /// What happens to the file.
    public enum Change: Sendable {
        /// Save this version; with `baseCommit`, newer changes to the file are merged as a single save
        /// merges them, and overlapping ones refuse the whole batch.
        case put(content: String, metadata: [String: JSONValue], baseCommit: ObjectID?)
        /// Remove the file from the branch (its history stays).
        case delete
    }

    /// PRD or implementation plan.
    public var type: FileType
    /// The file's name; nil means the type's default name.
    public var name: String?
    /// What happens to it.
    public var change: Change

    /// A file to save.
    public init(type: FileType, name: String? = nil, content: String, metadata: [String: JSONValue] = [:], baseCommit: ObjectID? = nil) {
        self.type = type
        self.name = name
        self.change = .put(content: content, metadata: metadata, baseCommit: baseCommit)
    }

    /// A file to delete.
    public static func delete(type: FileType, name: String? = nil) -> BatchFile {
        BatchFile(type: type, name: name, change: .delete)
    }

    private init(type: FileType, name: String?, change: Change) {
        self.type = type
        self.name = name
        self.change = change
    }
}
