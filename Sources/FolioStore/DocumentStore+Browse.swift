import FolioSupport
import Foundation

extension DocumentStore {
    /// Every project that has live files.
    public func projects() throws -> [ProjectSummary] {
        catchUpIfBehind()
        return try catalog.projects()
    }

    /// A project's deleted files, most recently deleted first; each can be restored from its history.
    public func deletedFiles(projectID: String) throws -> [DocumentRecord] {
        try FileKey.validateProjectID(projectID)
        catchUpIfBehind()
        return try catalog.deletedDocuments(projectID: projectID)
    }

    /// The revision of `key` made by `commit`, and the one before it (nil for the file's first).
    /// Nil when `commit` did not change the file.
    public func revision(_ key: FileKey, commit: ObjectID) throws -> (revision: Revision, previous: Revision?)? {
        catchUpIfBehind()
        // A file's history is one indexed read; looking a commit up in it costs a scan of that file only.
        let revisions = try catalog.revisions(key, limit: Int(Int32.max), beforeSeq: nil)
        guard let index = revisions.firstIndex(where: { $0.commit == commit }) else { return nil }
        return (revisions[index], index + 1 < revisions.count ? revisions[index + 1] : nil)
    }
}

/// Two versions of a file compared line by line, for a side-by-side or inline view.
public struct DocumentComparison: Sendable {
    /// The older version.
    public var from: LoadedDocument
    /// The newer version.
    public var to: LoadedDocument
    /// Their content, line by line.
    public var lines: LineComparison
    /// Metadata keys whose values differ, sorted by key.
    public var metadataChanges: [DocumentDiff.MetadataChange]
}

extension DocumentStore {
    /// Compares the file's versions at `from` and `to` line by line. Large inputs share the limit on
    /// concurrent large diffs (`DiffLimiter`), as `diff` does.
    public func compare(_ key: FileKey, from: ObjectID, to: ObjectID) throws -> DocumentComparison {
        let old = try load(key, at: from), new = try load(key, at: to)
        let lines = try largeDiffs.run(inputBytes: old.content.utf8.count + new.content.utf8.count) {
            LineComparison.between(old.content, new.content)
        }
        return DocumentComparison(from: old, to: new, lines: lines, metadataChanges: DocumentDiff.metadataChanges(old.metadata, new.metadata))
    }
}
