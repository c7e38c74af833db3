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

    /// The file's path in the mirror.
    public func url(for key: FileKey) -> URL { root.appendingPathComponent(key.path) }

    public func put(_ key: FileKey, envelope: Data, commit: String, author: String) throws {
        let target = url(for: key)
        let folder = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(key.name).json.\(UUID().uuidString).tmp")
        try writeFile(envelope, to: temporary.path)
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw StoreError(.unavailable, "cannot publish \(key.path) in the local mirror: rename: \(reason)")
        }
    }

    public func sync() throws {
        let fd = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open the local mirror \(root.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard LocalMirror.syncFileSystem(fd) == 0 else {
            throw StoreError(.unavailable, "cannot flush the local mirror \(root.path): \(String(cString: strerror(errno)))")
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

    public func holds(_ key: FileKey, commit: String, envelope: () throws -> Data) throws -> Bool? {
        guard let data = try read(key) else { return nil }
        return data == (try envelope())
    }

    public func check() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        guard access(root.path, W_OK) == 0 else {
            throw StoreError(.unavailable, "the local mirror folder \(root.path) is not writable")
        }
    }

    /// `syncfs(2)`: flushes the file system holding `fd` in one call. Glibc declares it only under
    /// `_GNU_SOURCE`, which Swift's C import does not set, so it is looked up at run time; `sync(2)` (every
    /// file system) stands in where it is missing.
    private static let syncFileSystem: @convention(c) (Int32) -> Int32 = {
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") {
            return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
        }
        return { _ in Glibc.sync(); return 0 }
    }()

    private func writeFile(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    unlink(path)
                    throw StoreError(.unavailable, "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}
