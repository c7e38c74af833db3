import ArgumentParser
import FolioStore
import Foundation

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a file's content (current, or --at a commit).")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Option(help: "A commit: the file as of that revision.") var at: String?

    struct Output: Encodable {
        var file_key: String, content: String, metadata: [String: JSONValue], type: String
        var commit: String?, updated_by: String?, updated_at: String?, source: String
    }

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let document = try store.load(fileKey, at: at)
            if options.json {
                try printJSON(Output(
                    file_key: document.fileKey, content: document.content, metadata: document.metadata, type: document.type,
                    commit: document.commit, updated_by: document.updatedBy, updated_at: document.updatedAt?.iso8601, source: document.source.rawValue))
            } else {
                FileHandle.standardOutput.write(Data(document.content.utf8))
            }
        }
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a project's files.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The project id.") var project: String
    @Option(help: "Only files of this type (prd or implementation).") var type: String?

    struct Output: Encodable {
        var file_key: String, type: String, name: String, commit: String?, size: Int, updated_by: String?, updated_at: String?
    }

    func run() async throws {
        try await runReporting {
            let fileType = try type.map { try FileType.parse($0) }
            let store = try options.openStore()
            defer { store.close() }
            let files = try store.list(projectID: project, type: fileType)
            if options.json {
                try printJSON(files.map {
                    Output(file_key: $0.key.path, type: $0.key.fileType.rawValue, name: $0.key.name, commit: $0.commit, size: $0.size,
                           updated_by: $0.updatedBy, updated_at: $0.updatedAt?.iso8601)
                })
            } else {
                for file in files {
                    let commit = file.commit.map { String($0.prefix(7)) } ?? "legacy "
                    print("\(commit)  \(file.updatedAt?.iso8601 ?? "-")  \(file.updatedBy ?? "-")  \(file.key.path)")
                }
            }
        }
    }
}

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "A file's history, newest first.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Option(help: "How many revisions (1-1000).") var limit = 50
    @Option(help: "Continue after this cursor (a revision's seq, as printed).") var cursor: String?

    struct Output: Encodable {
        var seq: Int, commit: String, author: String, committed_at: String, action: String, message: String, size: Int
    }

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let page = try store.history(fileKey, limit: limit, cursor: cursor)
            if options.json {
                try printJSON(page.revisions.map {
                    Output(seq: $0.seq, commit: $0.commit, author: $0.author, committed_at: $0.committedAt.iso8601,
                           action: $0.action.rawValue, message: $0.message, size: $0.size)
                })
            } else {
                for revision in page.revisions {
                    let note = revision.message.isEmpty ? "" : "  \(revision.message.split(separator: "\n").first ?? "")"
                    print("\(revision.commit.prefix(7))  \(revision.committedAt.iso8601)  \(revision.action.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(revision.author)\(note)")
                }
                if let next = page.nextCursor { print("(more: --cursor \(next))") }
            }
        }
    }
}

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare a file's content between two revisions.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Argument(help: "The older commit.") var from: String
    @Argument(help: "The newer commit (default: the current version).") var to: String?
    @Flag(help: "Compare word by word instead of line by line.") var word = false

    struct Output: Encodable {
        var file_key: String, from: String, to: String, mode: String, additions: Int, deletions: Int, text: String
        var hunks: [TextPatchHunk]?, segments: [WordSegment]?, metadata_changes: [MetadataChangeOutput]
    }
    struct TextPatchHunk: Encodable { var header: String, old_start: Int, old_lines: Int, new_start: Int, new_lines: Int, lines: [LineOutput] }
    struct LineOutput: Encodable { var origin: String, old_line: Int?, new_line: Int?, text: String }
    struct WordSegment: Encodable { var op: String, text: String }
    struct MetadataChangeOutput: Encodable { var key: String, from: JSONValue?, to: JSONValue? }

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let diff = try store.diff(fileKey, from: from, to: to, mode: word ? .word : .line)
            if options.json {
                try printJSON(Output(
                    file_key: diff.fileKey, from: diff.from, to: diff.to, mode: diff.mode.rawValue, additions: diff.additions,
                    deletions: diff.deletions, text: diff.text,
                    hunks: word ? nil : diff.hunks.map { hunk in
                        TextPatchHunk(header: hunk.header, old_start: hunk.oldStart, old_lines: hunk.oldLines, new_start: hunk.newStart, new_lines: hunk.newLines,
                                      lines: hunk.lines.map { LineOutput(origin: $0.origin, old_line: $0.oldLine, new_line: $0.newLine, text: $0.text) })
                    },
                    segments: word ? diff.segments.map { WordSegment(op: $0.op, text: $0.text) } : nil,
                    metadata_changes: diff.metadataChanges.map { MetadataChangeOutput(key: $0.key, from: $0.from, to: $0.to) }))
            } else {
                print(diff.text, terminator: diff.text.hasSuffix("\n") || diff.text.isEmpty ? "" : "\n")
                for change in diff.metadataChanges {
                    print("metadata \(change.key): \(change.from?.canonicalText ?? "(none)") -> \(change.to?.canonicalText ?? "(none)")")
                }
            }
        }
    }
}
