internal import CGit2
import Foundation
import FolioSupport

/// What a push hook needs from git: the objects a push brought (still in quarantine while
/// `pre-receive` runs), the commits it adds, and the repository settings the hooks rely on.
extension Repository {
    /// Opens the repository with further object folders searched after its own.
    ///
    /// git keeps a push's objects in a quarantine folder until `pre-receive` accepts them, and tells the
    /// hook where (`GIT_QUARANTINE_PATH`); libgit2 does not read that variable, so the hook names it here.
    public static func open(at path: String, alternateObjectFolders: [String]) throws -> Repository {
        let repository = try open(at: path)
        for folder in alternateObjectFolders {
            try check(git_odb_add_disk_alternate(repository.odb, folder), "git_odb_add_disk_alternate")
        }
        return repository
    }

    /// The commits reachable from `tip` but not from any of `known`, oldest first (parents before
    /// children): what moving a branch from `known` to `tip` adds to it.
    public func commits(from tip: ObjectID, excluding known: [ObjectID]) throws -> [ObjectID] {
        try walk(from: tip, hiding: known, firstParentOnly: false)
    }

    /// The type of the object `id` names, or nil when the repository does not have it.
    public func objectKind(_ id: ObjectID) throws -> ObjectKind? {
        var oid = id.oid
        var size = 0
        var type = GIT_OBJECT_ANY
        let result = git_odb_read_header(&size, &type, odb, &oid)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_odb_read_header")
        switch type {
        case GIT_OBJECT_COMMIT: return .commit
        case GIT_OBJECT_TREE: return .tree
        case GIT_OBJECT_BLOB: return .blob
        case GIT_OBJECT_TAG: return .tag
        default: return nil
        }
    }

    /// Sets a value in the repository's own configuration file (`config` in the git folder).
    public func setConfig(_ name: String, _ value: String) throws {
        _ = try withLocalConfig { local in try check(git_config_set_string(local, name, value), "git_config_set_string") }
    }

    /// A value of the repository's own configuration file, nil when unset there (a value in the
    /// user's or the system's files does not count: another user running git would not see it).
    public func config(_ name: String) throws -> String? {
        try withLocalConfig { local in
            var snapshot: OpaquePointer?
            try check(git_config_snapshot(&snapshot, local), "git_config_snapshot")
            defer { git_config_free(snapshot) }
            var value: UnsafePointer<CChar>?
            let result = git_config_get_string(&value, snapshot, name)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "git_config_get_string")
            return value.map { String(cString: $0) }
        }
    }

    /// Runs `body` with the repository's own configuration file (the local level) open.
    private func withLocalConfig<T>(_ body: (OpaquePointer?) throws -> T) throws -> T {
        var config: OpaquePointer?
        try check(git_repository_config(&config, handle), "git_repository_config")
        defer { git_config_free(config) }
        var local: OpaquePointer?
        try check(git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level")
        defer { git_config_free(local) }
        return try body(local)
    }
}

/// The four kinds of git object.
public enum ObjectKind: Sendable {
    case commit, tree, blob, tag
}

extension Repository {
    /// Deletes `name` if it still points at `expected`; false when it is gone or points elsewhere
    /// (another push replaced it, and that push's hook deals with it).
    public func deleteReference(_ name: String, expected: ObjectID) throws -> Bool {
        var reference: OpaquePointer?
        let found = git_reference_lookup(&reference, handle, name)
        if found == GIT_ENOTFOUND.rawValue { return false }
        try check(found, "git_reference_lookup")
        defer { git_reference_free(reference) }
        guard let target = git_reference_target(reference), ObjectID(target.pointee) == expected else { return false }
        // libgit2 deletes only if the ref still holds the target it was looked up with.
        let deleted = git_reference_delete(reference)
        if deleted == GIT_EMODIFIED.rawValue { return false }
        try check(deleted, "git_reference_delete")
        return true
    }
}
