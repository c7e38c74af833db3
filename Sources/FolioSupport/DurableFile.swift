import Foundation
internal import CFolioSupport

/// File writes that survive a crash: every byte written (retrying on EINTR), fsynced before the caller
/// renames or publishes the file, and folders fsynced after entries are added to them.
public enum DurableFile {
    /// Creates `path` (failing if it exists when `exclusive`), writes `bytes`, and fsyncs it unless
    /// `sync` is false (callers that sync the whole file system once, after many files).
    /// A failed write removes the partial file.
    public static func write<Bytes: ContiguousBytes>(
        _ bytes: Bytes, to path: String, mode: mode_t = 0o644, exclusive: Bool = false, sync: Bool = true
    ) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let descriptor = open(path, flags, mode)
        guard descriptor >= 0 else { throw SystemError.errno("open", path) }
        defer { close(descriptor) }
        do {
            try writeAll(bytes, to: descriptor, path: path)
            if sync { try check(fsync(descriptor), "fsync", path) }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Writes every byte of `bytes` to `descriptor`, retrying on EINTR and short writes.
    public static func writeAll<Bytes: ContiguousBytes>(_ bytes: Bytes, to descriptor: Int32, path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SystemError.errno("write", path)
                }
                offset += written
            }
        }
    }

    /// Makes the entries of `folder` (files created or renamed into it) durable.
    public static func syncFolder(_ folder: String) throws {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError.errno("open", folder) }
        defer { close(descriptor) }
        try check(fsync(descriptor), "fsync", folder)
    }

    /// `syncfs(2)`: flushes the whole file system holding `path` in one call, for writers of many small
    /// files that would otherwise fsync each.
    public static func syncFileSystem(containing path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError.errno("open", path) }
        defer { close(descriptor) }
        try check(folio_syncfs(descriptor), "syncfs", path)
    }

    /// Renames `from` to `to` (atomically replacing `to`).
    public static func rename(_ from: String, to: String) throws {
        try check(Glibc.rename(from, to), "rename", to)
    }

    private static func check(_ result: Int32, _ function: String, _ path: String) throws {
        if result < 0 { throw SystemError.errno(function, path) }
    }
}
