import FolioSupport

/// The answer to a batch save: the one commit it made and each file's result, in the batch's order.
public struct BatchResult: Sendable, Equatable, Encodable {
    /// The project the files belong to.
    public var projectID: String
    /// The commit holding every change of the batch; nil when every file already was as asked.
    public var commit: ObjectID?
    /// One result per file, in the order the batch named them (the single-save result's shape).
    public var files: [SaveResult]

    /// False when nothing changed and no commit was made.
    public var changed: Bool { commit != nil }

    enum CodingKeys: String, CodingKey {
        case projectID = "project_id", commit, changed, files
    }

    /// Writes every field, `commit` as null when nothing changed.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projectID, forKey: .projectID)
        try container.encode(commit, forKey: .commit)
        try container.encode(changed, forKey: .changed)
        try container.encode(files, forKey: .files)
    }
}
