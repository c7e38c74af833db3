import FolioSupport
import Foundation

/// The local mirror: `{MEDIA_ROOT}/projects/{file_key}`, the old system's layout.
///
/// Each write goes to a temporary file in the same folder and is renamed over the old one, so a reader
/// sees the old or the new version, never half of one. Durability comes from `sync()`, one `syncfs` per
/// round of writes, before the outbox forgets them: a crash before it leaves the rows, and the next start
/// writes those files again. Under load that is one flush per round instead of two per file.
public struct LocalMirror: Mirror {
    /// `{MEDIA_ROOT}/projects`.
    public let root: URL

    /// A mirror under `mediaRoot/projects`.
    public init(mediaRoot: String) {
        self.root = URL(fileURLWithPath: mediaRoot).appendingPathComponent("projects")
    }

    public var description: String { "local \(root.path)" }

    /// One at a time. Creating and renaming files in a folder takes the folder's lock in the kernel,
    /// so parallel writers into one project folder wait on each other and spin; under 64 saving
    /// clients, eight of them cost the server about 40% of its saves per second against one writer.
    public var writeConcurrency: Int { 1 }

    /// The file's path in the mirror.
    public func url(for key: FileKey) -> URL { root.appendingPathComponent(key.path) }

    public func put(_ key: FileKey, envelope: Data, commit: ObjectID, author: String) throws {
        let target = url(for: key)
        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(key.name).json.\(TemporaryName.token()).tmp")
        do {
            // Not fsynced here: `sync()` flushes the whole round with one syncfs.
            do {
                try DurableFile.write(envelope, to: temporary.path, sync: false)
            } catch let error as SystemError where error.code == ENOENT {
                // The folder is made only when missing: creating it for every write cost a stat of each
                // parent and, in Foundation, a look-up of the owner's user and group names.
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try DurableFile.write(envelope, to: temporary.path, sync: false)
            }
            do {
                try DurableFile.rename(temporary.path, to: target.path)
            } catch {
                unlink(temporary.path)
                throw error
            }
        } catch {
            throw StoreError(.unavailable, "cannot publish \(key.path) in the local mirror: \(error)", cause: error)
        }
    }

    public func sync() throws {
        do {
            try DurableFile.syncFileSystem(containing: root.path)
        } catch {
            throw StoreError(.unavailable, "cannot flush the local mirror \(root.path): \(error)", cause: error)
        }
    }

    public func remove(_ key: FileKey) throws {
        let target = url(for: key)
        if unlink(target.path) != 0 && errno != ENOENT {
            throw StoreError(.unavailable, "cannot remove \(key.path) from the local mirror: \(String(cString: strerror(errno)))")
        }
    }

    public func read(_ key: FileKey) throws -> Data? {
        let target = url(for: key)
        guard FileManager.default.fileExists(atPath: target.path) else { return nil }
        return try Data(contentsOf: target)
    }

    public func listKeys() throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") && !$0.contains("/.") }.sorted()
    }

    public func holds(_ key: FileKey, commit: ObjectID, envelope: () throws -> Data) throws -> Bool? {
        guard let data = try read(key) else { return nil }
        return data == (try envelope())
    }

    public func check() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        guard access(root.path, W_OK) == 0 else {
            throw StoreError(.unavailable, "the local mirror folder \(root.path) is not writable")
        }
    }
}
