import ArgumentParser
import FolioStore
import Foundation
import FolioSupport

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create the repository and catalog (safe to run again).")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            defer { store.close() }
            let configuration = store.configuration
            if options.json {
                try printJSON(["repository": configuration.repositoryPath, "database": configuration.databaseURL, "media_root": configuration.mediaRoot])
            } else {
                print("repository \(configuration.repositoryPath)\ncatalog    \(configuration.databaseURL)\nmirror     \(configuration.mediaRoot)")
            }
        }
    }
}

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Save a version of a file; content from --file or stdin.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key, e.g. PROJECT/prd/main_prd.json.") var key: String
    @Option(help: "The saving user (the commit's author).") var author: String
    @Option(help: "The author's e-mail (default NAME@users.folio.invalid).") var email: String?
    @Option(help: "Read the content from this file instead of stdin.") var file: String?
    @Option(help: "Metadata as a JSON object.") var metadata: String?
    @Option(help: "A message for the commit.") var message: String?
    @Option(help: "The commit your edit is based on; newer changes are merged or refused.") var base: String?

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let data: Data
            if let file {
                guard let contents = FileManager.default.contents(atPath: file) else {
                    throw StoreError.invalid("file", "cannot read --file \(file)")
                }
                data = contents
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            guard let content = String(validating: data, as: UTF8.self) else {
                throw StoreError.invalid("content", "the content is not valid UTF-8 text")
            }
            var fields: [String: JSONValue] = [:]
            if let metadata {
                guard let object = (try? JSONValue.parse(Data(metadata.utf8)))?.objectValue else {
                    throw StoreError.invalid("metadata", "--metadata must be a JSON object, e.g. '{\"prd_id\": 1}'")
                }
                fields = object
            }
            let store = try options.openStore()
            defer { store.close() }
            let result = try await store.save(fileKey, content: content, metadata: fields, updatedBy: author, email: email, message: message,
                baseCommit: base.map { try store.commitID($0, field: "base") })
            store.flushMirror()
            if options.json {
                try printJSON(result)
            } else if result.changed {
                print("\(result.action?.rawValue ?? "saved") \(result.fileKey) \(result.commit)\(result.merged ? " (merged)" : "")")
            } else {
                print("unchanged \(result.fileKey) \(result.commit)")
            }
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Make an old revision current again (a new commit).")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Argument(help: "The commit to restore.") var commit: String
    @Option(help: "Who restores (the new commit's author).") var author: String
    @Option(help: "A message for the commit.") var message: String?

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let result = try await store.restore(fileKey, commit: store.commitID(commit, field: "commit"), by: author, message: message)
            store.flushMirror()
            if options.json { try printJSON(result) } else {
                print(result.changed ? "restored \(result.fileKey) \(result.commit)" : "unchanged \(result.fileKey) \(result.commit)")
            }
        }
    }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a file (its history stays and it can be restored).")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The file key.") var key: String
    @Option(help: "Who deletes (the commit's author).") var author: String
    @Option(help: "A message for the commit.") var message: String?

    func run() async throws {
        try await runReporting {
            let fileKey = try FileKey(parsing: key)
            let store = try options.openStore()
            defer { store.close() }
            let result = try await store.delete(fileKey, by: author, message: message)
            store.flushMirror()
            if options.json { try printJSON(result) } else { print("deleted \(result.fileKey) \(result.commit)") }
        }
    }
}

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reindex", abstract: "Rebuild the catalog from git alone.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            defer { store.close() }
            try store.reindex(progress: terminalProgress("reindex"))
            let mirrored = store.flushMirror(progress: terminalProgress("mirror"))
            if options.json {
                try printJSON(["mirrored": mirrored.mirrored, "mirror_failed": mirrored.failed])
            } else {
                print("reindexed; \(mirrored.mirrored) file(s) mirrored, \(mirrored.failed) failed")
            }
        }
    }
}

struct ImportLegacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-legacy",
        abstract: "Load the old system's database rows (JSON lines: project_id, type, name, content, metadata, updated_by).",
        discussion: "Imported files load from the catalog (source: database) until their first save moves them into git.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "A JSON-lines file, or - for stdin.") var input: String

    func run() async throws {
        try await runReporting {
            let data = input == "-" ? FileHandle.standardInput.readDataToEndOfFile() : (FileManager.default.contents(atPath: input) ?? Data())
            let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            // Validate every row before writing any, so a bad file imports nothing.
            var rows: [(FileKey, String, [String: JSONValue], String?)] = []
            for (index, line) in lines.enumerated() {
                guard let object = (try? JSONValue.parse(Data(line.utf8)))?.objectValue,
                      let project = object["project_id"]?.stringValue, let typeText = object["type"]?.stringValue,
                      let content = object["content"]?.stringValue else {
                    throw StoreError.invalid("input", "line \(index + 1) is not an object with project_id, type and content strings")
                }
                let type = try FileType.parse(typeText)
                let key = try FileKey(projectID: project, fileType: type, name: object["name"]?.stringValue ?? type.defaultName)
                rows.append((key, content, object["metadata"]?.objectValue ?? [:], object["updated_by"]?.stringValue))
            }
            let store = try options.openStore()
            defer { store.close() }
            for row in rows { try store.importLegacy(row.0, content: row.1, metadata: row.2, updatedBy: row.3) }
            if options.json { try printJSON(["imported": rows.count]) } else { print("imported \(rows.count) legacy file(s)") }
        }
    }
}
