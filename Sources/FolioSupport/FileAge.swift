import Foundation

/// How long ago a file was last modified: what tells a dead writer's leftover from a live writer's file.
public enum FileAge {
    /// Seconds since `path` was last modified, nil when it does not exist.
    public static func of(_ path: String) -> TimeInterval? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Date().timeIntervalSince1970 - TimeInterval(info.st_mtim.tv_sec)
    }
}
