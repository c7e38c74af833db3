import FolioStore
import Foundation

// The JSON shapes the API answers with. Fields a client may branch on are always present, as null
// when there is no value, so clients need not tell "absent" from "empty".

/// A file's version: `GET /api/projects/{pid}/{type}/` and `…/revisions/{commit}`.
struct DocumentReply: Encodable {
    var document: LoadedDocument

    enum CodingKeys: String, CodingKey {
        case fileKey = "file_key", content, metadata, type, commit, updatedBy = "updated_by", updatedAt = "updated_at", source
    }

    func encode(to encoder: any Encoder) throws {
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
struct HistoryReply: Encodable {
    struct Entry: Encodable {
        var seq: Int
        var commit: String
        var author: String
        var committed_at: Date
        var action: String
        var message: String
        var size: Int
    }

    var file_key: String
    var revisions: [Entry]
    var next_cursor: String?

    init(key: FileKey, page: HistoryPage) {
        file_key = key.path
        revisions = page.revisions.map {
            Entry(seq: $0.seq, commit: $0.commit, author: $0.author, committed_at: $0.committedAt, action: $0.action.rawValue, message: $0.message, size: $0.size)
        }
        next_cursor = page.nextCursor
    }

    func encode(to encoder: any Encoder) throws {
        enum Keys: String, CodingKey { case file_key, revisions, next_cursor }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(file_key, forKey: .file_key)
        try container.encode(revisions, forKey: .revisions)
        try container.encode(next_cursor, forKey: .next_cursor)
    }
}

/// A project's live files: `GET /api/projects/{pid}/files/`.
struct FileListReply: Encodable {
    struct Entry: Encodable {
        var record: DocumentRecord

        func encode(to encoder: any Encoder) throws {
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
struct DiffReply: Encodable {
    struct Hunk: Encodable { var header: String, old_start: Int, old_lines: Int, new_start: Int, new_lines: Int, lines: [Line] }
    struct Line: Encodable { var origin: String, old_line: Int?, new_line: Int?, text: String }
    struct Segment: Encodable { var op: String, text: String }
    struct MetadataChange: Encodable { var key: String, from: JSONValue?, to: JSONValue? }

    var file_key: String
    var from: String
    var to: String
    var mode: String
    var additions: Int
    var deletions: Int
    var text: String
    var hunks: [Hunk]?
    var segments: [Segment]?
    var metadata_changes: [MetadataChange]

    init(_ diff: DocumentDiff) {
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
