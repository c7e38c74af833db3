internal import CGit2
import Foundation
import FolioSupport

/// A bare git repository opened through libgit2.
///
/// Not thread-safe (libgit2 handles are not): one task uses a `Repository` at a time. Readers that run
/// beside the writer open their own instance. It may move between threads, one at a time, hence
/// `@unchecked Sendable`.
public final class Repository: @unchecked Sendable {
    let handle: OpaquePointer
    /// The object database, kept open for direct object reads; replaced when a batch opens.
    var odb: OpaquePointer
    /// The open batch, if any (see `Repository+Batch.swift`).
    var batch: Batch?
    /// The trees the last `changes(from:to:)` read on its new side, by id. Walking a history, the next
    /// call's old side is exactly these (a commit's parent tree is the previous commit's tree), and
    /// libgit2 caches only trees under 4 KiB, so a folder of hundreds of files would otherwise be
    /// inflated again. Holds one commit's trees at most.
    var lastNewTrees: [ObjectID: [UInt8]] = [:]
    /// The repository's folder.
    public let path: String

    private init(handle: OpaquePointer, path: String) throws {
        self.handle = handle
        self.path = path
        var odb: OpaquePointer?
        if let error = Result(catching: { try check(git_repository_odb(&odb, handle), "git_repository_odb") }).failure {
            git_repository_free(handle)
            throw error
        }
        self.odb = odb!
    }

    deinit {
        // The odb owns its backends (the batch's included), so freeing it frees them too.
        git_odb_free(odb)
        git_repository_free(handle)
    }

    /// Opens an existing repository.
    public static func open(at path: String) throws -> Repository {
        _ = Libgit2.ready
        var handle: OpaquePointer?
        try check(git_repository_open_bare(&handle, path), "git_repository_open_bare")
        return try Repository(handle: handle!, path: path)
    }

    /// Creates a bare repository whose HEAD is `refs/heads/{branch}`, or opens it when it already exists.
    public static func openOrCreateBare(at path: String, branch: String = "main") throws -> Repository {
        _ = Libgit2.ready
        if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("HEAD")) {
            return try open(at: path)
        }
        var options = git_repository_init_options()
        try check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)), "git_repository_init_options_init")
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue
        var handle: OpaquePointer?
        try "refs/heads/\(branch)".withCString { head in
            options.initial_head = head
            try check(git_repository_init_ext(&handle, path, &options), "git_repository_init_ext")
        }
        return try Repository(handle: handle!, path: path)
    }

    /// The id a reference points at, or nil when the reference does not exist yet (an empty repository).
    public func resolveReference(_ name: String) throws -> ObjectID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, handle, name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_reference_name_to_id")
        return ObjectID(oid)
    }

    /// Moves `name` to `target` only if it still points at `expected` (nil: only if it does not exist).
    ///
    /// This is the compare-and-swap that keeps concurrent writers — threads or processes — from losing
    /// each other's commits: a loser gets `GitError.Code.modified` (or `.exists`, or `.locked` while the
    /// other writer holds the lock file) and must rebuild on the new tip.
    public func updateReference(_ name: String, to target: ObjectID, expected: ObjectID?, logMessage: String) throws {
        var reference: OpaquePointer?
        var newOID = target.oid
        if var current = expected?.oid {
            try check(git_reference_create_matching(&reference, handle, name, &newOID, 1, &current, logMessage), "git_reference_create_matching")
        } else {
            try check(git_reference_create(&reference, handle, name, &newOID, 0, logMessage), "git_reference_create")
        }
        git_reference_free(reference)
    }

    /// Makes objects written by other handles or processes (new packs) visible to this handle.
    public func refreshObjects() throws {
        if let batch {
            // A batch's pack backend only rescans when asked (see `beginBatch`).
            try check(batch.refreshPacks(batch.pack), "git_odb_refresh")
        } else {
            try check(git_odb_refresh(odb), "git_odb_refresh")
        }
    }

    /// True when `ancestor` is reachable from `descendant` (or equal to it).
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        if ancestor == descendant { return true }
        var a = ancestor.oid
        var d = descendant.oid
        return try check(git_graph_descendant_of(handle, &d, &a), "git_graph_descendant_of") == 1
    }

    /// Expands an abbreviated hex id to the full id of an existing object.
    public func expandID(_ text: String) throws -> ObjectID {
        guard ObjectID.looksLikeHex(text) else {
            throw GitError(code: .invalidSpec, function: "expandID", message: "'\(text)' is not a commit id (4 to 40 hex digits)")
        }
        if let full = ObjectID(hex: text), try exists(full) { return full }
        var object: OpaquePointer?
        var oid = git_oid()
        try check(git_oid_fromstrn(&oid, text, text.utf8.count), "git_oid_fromstrn")
        try check(git_object_lookup_prefix(&object, handle, &oid, text.utf8.count, GIT_OBJECT_ANY), "git_object_lookup_prefix")
        defer { git_object_free(object) }
        return ObjectID(git_object_id(object))
    }

    /// True when the object database holds `id`.
    public func exists(_ id: ObjectID) throws -> Bool {
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
