import FolioStore
import Foundation
import FolioSupport

// The JSON shapes the API answers with, and that `folio … --json` prints, so scripts see one format.
// Fields a client may branch on are always present, as null when there is no value, so clients need
// not tell "absent" from "empty".

/// A file's version: `GET /api/projects/{pid}/{type}/` and `…/revisions/{commit}`.
public struct DocumentReply: Encodable {
    var document: LoadedDocument

    /// The reply for `document`.
    public init(document: LoadedDocument) { self.document = document }

    enum CodingKeys: String, CodingKey {
        case fileKey = "file_key", content, metadata, type, commit, updatedBy = "updated_by", updatedAt = "updated_at", source
    }

    /// Writes every field, nulls included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(document.fileKey, forKey: .fileKey)
        try container.encode(document.content, forKey: .content)
        try container.encode(document.metadata, forKey: .metadata)
        try container.encode(document.type, forKey: .type)
        try container.encode(document.commit, forKey: .commit)
        try container.encode(document.updatedBy, forKey: .updatedBy)
        try container.encode(document.updatedAt, forKey: .updatedAt)
        try container.encode(document.source.rawValue, forKey: .source)
    }
}

/// A page of history, newest first: `GET …/history/`.
public struct HistoryReply: Encodable {
    /// One revision.
    public struct Entry: Encodable {
        var seq: Int
        var commit: ObjectID
        var author: String
        /// The API token the save came through (omitted when none).
        var token: String?
        var committed_at: Date
        var action: String
        var message: String
        var size: Int

        /// The entry for `revision`.
        public init(_ revision: Revision) {
            seq = revision.seq
            commit = revision.commit
            author = revision.author
            token = revision.token
            committed_at = revision.committedAt
            action = revision.action.rawValue
            message = revision.message
            size = revision.size
        }
    }

    var file_key: String
    var revisions: [Entry]
    var next_cursor: String?

    init(key: FileKey, page: HistoryPage) {
        file_key = key.path
        revisions = page.revisions.map(Entry.init)
        next_cursor = page.nextCursor
    }

    /// Writes every field, nulls included.
    public func encode(to encoder: any Encoder) throws {
        enum Keys: String, CodingKey { case file_key, revisions, next_cursor }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(file_key, forKey: .file_key)
        try container.encode(revisions, forKey: .revisions)
        try container.encode(next_cursor, forKey: .next_cursor)
    }
}

/// A project's live files: `GET /api/projects/{pid}/files/`.
public struct FileListReply: Encodable {
    /// One file.
    public struct Entry: Encodable {
        var record: DocumentRecord

        /// The entry for `record`.
        public init(record: DocumentRecord) { self.record = record }

        /// Writes every field, nulls included.
        public func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case file_key, type, name, commit, size, updated_by, updated_at }
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(record.key.path, forKey: .file_key)
            try container.encode(record.key.fileType.rawValue, forKey: .type)
            try container.encode(record.key.name, forKey: .name)
            try container.encode(record.commit, forKey: .commit)
            try container.encode(record.size, forKey: .size)
            try container.encode(record.updatedBy, forKey: .updated_by)
            try container.encode(record.updatedAt, forKey: .updated_at)
        }
    }

    var project_id: String
    var files: [Entry]
}

/// A structured diff: `GET …/diff/?format=json`. Line mode fills `hunks`, word mode `segments`.
public struct DiffReply: Encodable {
    struct Hunk: Encodable { var header: String, old_start: Int, old_lines: Int, new_start: Int, new_lines: Int, lines: [Line] }
    struct Line: Encodable { var origin: String, old_line: Int?, new_line: Int?, text: String }
    struct Segment: Encodable { var op: String, text: String }
    struct MetadataChange: Encodable { var key: String, from: JSONValue?, to: JSONValue? }

    var file_key: String
    var from: ObjectID
    var to: ObjectID
    var mode: String
    var additions: Int
    var deletions: Int
    var text: String
    var hunks: [Hunk]?
    var segments: [Segment]?
    var metadata_changes: [MetadataChange]

    /// The reply for `diff`.
    public init(_ diff: DocumentDiff) {
        file_key = diff.fileKey
        from = diff.from
        to = diff.to
        mode = diff.mode.rawValue
        additions = diff.additions
        deletions = diff.deletions
        text = diff.text
        switch diff.mode {
        case .line:
            hunks = diff.hunks.map { hunk in
                Hunk(header: hunk.header, old_start: hunk.oldStart, old_lines: hunk.oldLines, new_start: hunk.newStart, new_lines: hunk.newLines,
                     lines: hunk.lines.map { Line(origin: $0.origin, old_line: $0.oldLine, new_line: $0.newLine, text: $0.text) })
            }
        case .word:
            segments = diff.segments.map { Segment(op: $0.op, text: $0.text) }
        }
        metadata_changes = diff.metadataChanges.map { MetadataChange(key: $0.key, from: $0.from, to: $0.to) }
    }
}

/// A presigned download URL: `GET …/url/`.
struct PresignReply: Encodable {
    var url: String
    var expires_at: Date
}
