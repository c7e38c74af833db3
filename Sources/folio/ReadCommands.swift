import ArgumentParser
import FolioServer
import FolioStore
import Foundation
import FolioSupport

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print a file's content (current, or --at a commit).")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Option(help: "A commit: the file as of that revision.") var at: String?

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let document = try store.load(fileKey, at: at.map { try store.commitID($0, field: "at") })
            if options.json {
                try printJSON(DocumentReply(document: document))
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

    func run() async throws {
        try await runReporting {
            let fileType = try type.map { try FileType.parse($0) }
            let store = try options.openStore()
            defer { store.close() }
            let files = try store.list(projectID: project, type: fileType)
            if options.json {
                try printJSON(files.map(FileListReply.Entry.init(record:)))
            } else {
                for file in files {
                    let commit = file.commit?.short ?? "legacy "
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

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let page = try store.history(fileKey, limit: limit, cursor: cursor)
            if options.json {
                try printJSON(page.revisions.map(HistoryReply.Entry.init))
            } else {
                for revision in page.revisions {
                    let note = revision.message.isEmpty ? "" : "  \(revision.message.split(separator: "\n").first ?? "")"
                    print("\(revision.commit.short)  \(revision.committedAt.iso8601)  \(revision.action.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(revision.author)\(note)")
                }
                if let next = page.nextCursor { print("(more: --cursor \(next))") }
            }
        }
    }
}

struct BlameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blame", abstract: "Each line of a file with the revision that last changed it.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Option(help: "Blame this revision instead of the current version.") var at: String?

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let blame = try store.blame(fileKey, at: at.map { try store.commitID($0, field: "at") })
            if options.json {
                try printJSON(BlameReply(blame))
            } else {
                let width = blame.lines.map { $0.revision.author.count }.max() ?? 0
                for line in blame.lines {
                    let author = line.revision.author.padding(toLength: width, withPad: " ", startingAt: 0)
                    print("\(line.revision.commit.short)  \(line.revision.committedAt.iso8601)  \(author)  \(line.line): \(line.text)")
                }
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

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let diff = try store.diff(
                fileKey, from: store.commitID(from, field: "from"), to: to.map { try store.commitID($0, field: "to") }, mode: word ? .word : .line)
            if options.json {
                try printJSON(DiffReply(diff))
            } else {
                print(diff.text, terminator: diff.text.hasSuffix("\n") || diff.text.isEmpty ? "" : "\n")
                for change in diff.metadataChanges {
                    print("metadata \(change.key): \(change.from?.canonicalText ?? "(none)") -> \(change.to?.canonicalText ?? "(none)")")
                }
            }
        }
    }
}
