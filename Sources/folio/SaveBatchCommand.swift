import ArgumentParser
import FolioStore
import FolioSupport
import Foundation

/// `folio save-batch PROJECT DIR`: a folder of a project's files saved as one commit.
struct SaveBatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save-batch",
        abstract: "Save a folder of a project's files as one commit (all or nothing).",
        discussion: """
            DIR holds the project's files as an export lays them out:

              DIR/prd/NAME.json      an envelope {"content", "metadata", "type"}
              DIR/prd/NAME.md        text: the content (metadata stays as it is)
              DIR/implementation/    NAME.json or NAME.md likewise

            DIR may also be the folder an export was unpacked into (holding
            PROJECT/prd/...): export, unpack, edit, save-batch round-trips.
            Hidden files are skipped; anything else is an error. Every file is
            checked first: one invalid file saves nothing. A file holding what
            the project holds (or held at --base) is reported unchanged and not
            saved again, whoever saved it last. --delete-missing also deletes
            the project's files that are not in DIR, in the same commit.
            """)
    @OptionGroup var options: StoreOptions
    @Argument(help: "The project id.") var project: String
    @Argument(help: "The folder holding prd/ and implementation/.") var directory: String
    @Option(help: "The saving user (the commit's author).") var author: String
    @Option(help: "The author's e-mail (default NAME@users.folio.invalid).") var email: String?
    @Option(help: "A message for the commit.") var message: String?
    @Option(help: "The commit the folder's versions are based on (e.g. the exported one); newer changes are merged or refused.")
    var base: String?
    @Flag(help: "Also delete the project's files that are not in the folder.") var deleteMissing = false

    func run() async throws {
        try await runReporting {
            let folder = try BatchFolder.read(directory, project: project)
            let store = try options.openStore()
            defer { store.close() }
            let baseCommit = try base.map { try store.commitID($0, field: "base") }
            var files: [BatchFile] = []
            var sources: [String] = []
            // Files the folder holds as they are: reported unchanged, not saved again. A save by another
            // author would otherwise be a new revision of every untouched file (the envelope names who
            // saved it), so a folder edited in one place would rewrite the whole project's history.
            var untouched: [FileLine] = []
            // A file missing (now or at the base) is new to the branch; any other failure to read it stops
            // the command rather than being taken for a missing file (its metadata would be lost).
            func existing(_ key: FileKey, at commit: ObjectID? = nil) throws -> LoadedDocument? {
                do {
                    return try store.load(key, at: commit)
                } catch let error as StoreError where error.code == .notFound {
                    return nil
                }
            }
            for entry in folder.entries {
                let current = try existing(entry.key)
                // The base's version is read only when the current one differs.
                if let current, try entry.matches(current) || baseCommit.flatMap({ try existing(entry.key, at: $0) }).map(entry.matches) == true {
                    untouched.append(FileLine(file_key: entry.key.path, commit: current.commit, changed: false, merged: false, created: false))
                    continue
                }
                // A plain-text file changes the content only.
                let metadata = entry.metadata ?? current?.metadata ?? [:]
                files.append(BatchFile(type: entry.key.fileType, name: entry.key.name, content: entry.content, metadata: metadata, baseCommit: baseCommit))
                sources.append(entry.source)
            }
            if deleteMissing {
                let present = Set(folder.entries.map(\.key))
                // Only files git holds can be deleted; legacy rows never saved through Folio stay.
                for record in try store.list(projectID: project) where record.commit != nil && !present.contains(record.key) {
                    files.append(.delete(type: record.key.fileType, name: record.key.name))
                    sources.append("(missing) \(record.key.path)")
                }
            }
            var commit: ObjectID?
            var lines = untouched
            if !files.isEmpty {
                if isatty(2) == 1 {
                    FileHandle.standardError.write(Data("saving \(files.count) file(s) of \(project) as one commit\n".utf8))
                }
                do {
                    let result = try await store.saveBatch(projectID: project, files: files, updatedBy: author, email: email, message: message)
                    commit = result.commit
                    lines += result.files.map(FileLine.init)
                } catch var error as StoreError {
                    // The store names the entry (files[INDEX]); a person wants the path in the folder.
                    if let field = error.field, let index = BatchFolder.entryIndex(field), index < sources.count,
                       error.message.hasPrefix("files[\(index)]") {
                        error.message = sources[index] + error.message.dropFirst("files[\(index)]".count)
                    }
                    throw error
                }
                store.flushMirror()
            }
            lines.sort { $0.file_key < $1.file_key }
            if options.json {
                try printJSON(FolderReply(project_id: project, commit: commit, changed: commit != nil, files: lines))
                return
            }
            for line in lines {
                print("\(line.changed ? line.action ?? "saved" : "unchanged") \(line.file_key)\(line.merged ? " (merged)" : "")")
            }
            let changed = lines.count { $0.changed }
            if let commit {
                print("committed \(commit): \(changed) changed, \(lines.count - changed) unchanged")
            } else {
                print("nothing changed; no commit")
            }
        }
    }

    /// What `--json` prints: a batch save's reply, with the files left out as untouched among its files.
    struct FolderReply: Encodable {
        var project_id: String
        var commit: ObjectID?
        var changed: Bool
        var files: [FileLine]

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case project_id, commit, changed, files }
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(project_id, forKey: .project_id)
            try container.encode(commit, forKey: .commit)
            try container.encode(changed, forKey: .changed)
            try container.encode(files, forKey: .files)
        }
    }

    /// One file's outcome, in the single-save result's shape.
    struct FileLine: Encodable {
        var file_key: String
        var commit: ObjectID?
        var changed: Bool
        var merged: Bool
        var created: Bool
        var action: String?

        init(file_key: String, commit: ObjectID?, changed: Bool, merged: Bool, created: Bool, action: String? = nil) {
            self.file_key = file_key
            self.commit = commit
            self.changed = changed
            self.merged = merged
            self.created = created
            self.action = action
        }

        init(_ result: SaveResult) {
            self.init(
                file_key: result.fileKey, commit: result.commit, changed: result.changed, merged: result.merged, created: result.created,
                action: result.action?.rawValue)
        }
    }
}

/// The files of a folder laid out for `save-batch`, read and checked before the store is opened.
struct BatchFolder {
    struct Entry {
        var key: FileKey
        var content: String
        /// The envelope's metadata; nil for plain-text files, which keep the file's current metadata.
        var metadata: [String: JSONValue]?
        /// The path in the folder, for messages.
        var source: String

        /// True when `document` holds what this entry holds: the same content, and the same metadata
        /// apart from `updated_by` (which names who saved it, not what it says).
        func matches(_ document: LoadedDocument) -> Bool {
            guard document.content == content else { return false }
            guard let metadata else { return true }
            return metadata.filter { $0.key != "updated_by" } == document.metadata.filter { $0.key != "updated_by" }
        }
    }

    var entries: [Entry]

    /// Reads `path` (or `path/PROJECT` when that is where the type folders are); throws an invalid-input
    /// error naming the file at fault.
    static func read(_ path: String, project: String) throws -> BatchFolder {
        // A key of the project checks its id before the folder is read.
        _ = try FileKey(projectID: project, fileType: .prd, name: FileType.prd.defaultName)
        let manager = FileManager.default
        var root = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.invalid("dir", "\(path) is not a folder")
        }
        let nested = root.appendingPathComponent(project)
        if !hasTypeFolder(root), manager.fileExists(atPath: nested.path, isDirectory: &isFolder), isFolder.boolValue {
            root = nested
        }
        var entries: [Entry] = []
        for child in try visible(root) {
            let url = root.appendingPathComponent(child)
            guard let type = FileType(rawValue: child), manager.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw StoreError.invalid(
                    "dir", "\(url.path) is not expected; \(root.path) holds prd/ and implementation/ folders of NAME.json (envelopes) or NAME.md (text)")
            }
            var names: [String: String] = [:]
            for file in try visible(url) {
                let source = url.appendingPathComponent(file).path
                let ext = (file as NSString).pathExtension
                let name = (file as NSString).deletingPathExtension
                guard ext == "json" || ext == "md" else {
                    throw StoreError.invalid("dir", "\(source) is neither NAME.json (an envelope) nor NAME.md (text)")
                }
                let key: FileKey
                do {
                    key = try FileKey(projectID: project, fileType: type, name: name)
                } catch let error as StoreError {
                    throw StoreError.invalid("dir", "\(source): \(error.message)")
                }
                if let other = names[name] {
                    throw StoreError.invalid("dir", "\(source) and \(other) are the same file, \(key.path); keep one")
                }
                names[name] = source
                guard let data = manager.contents(atPath: source) else {
                    throw StoreError.invalid("dir", "cannot read \(source)")
                }
                if ext == "md" {
                    guard let content = String(validating: data, as: UTF8.self) else {
                        throw StoreError.invalid("dir", "\(source) is not UTF-8 text")
                    }
                    entries.append(Entry(key: key, content: content, metadata: nil, source: source))
                    continue
                }
                let envelope: Envelope
                do {
                    envelope = try Envelope.decode(data, key: source)
                } catch let error as StoreError {
                    throw StoreError.invalid("dir", error.message)
                }
                guard envelope.type.isEmpty || envelope.type == type.rawValue else {
                    throw StoreError.invalid("dir", "\(source) is a '\(envelope.type.prefix(40))' envelope in the \(type.rawValue) folder")
                }
                entries.append(Entry(key: key, content: envelope.content, metadata: envelope.metadata, source: source))
            }
        }
        guard !entries.isEmpty else {
            throw StoreError.invalid("dir", "\(root.path) holds no files; put NAME.json or NAME.md files in prd/ and implementation/")
        }
        return BatchFolder(entries: entries.sorted { $0.key < $1.key })
    }

    /// The index in `files[INDEX]` or `files[INDEX].FIELD`.
    static func entryIndex(_ field: String) -> Int? {
        guard field.hasPrefix("files["), let close = field.firstIndex(of: "]") else { return nil }
        return Int(field[field.index(field.startIndex, offsetBy: 6)..<close])
    }

    private static func hasTypeFolder(_ root: URL) -> Bool {
        FileType.allCases.contains { FileManager.default.fileExists(atPath: root.appendingPathComponent($0.rawValue).path) }
    }

    /// A folder's entries without hidden ones (`.DS_Store`, `.git`), sorted.
    private static func visible(_ url: URL) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw StoreError.invalid("dir", "cannot list \(url.path): \(error.localizedDescription)")
        }
    }
}
