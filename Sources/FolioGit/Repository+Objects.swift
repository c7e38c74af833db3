internal import CGit2
import Foundation
import FolioSupport

/// One entry of a tree listing: a file path and its blob.
public struct TreeFile: Sendable, Equatable {
    /// The path from the root of the tree, `/`-separated.
    public var path: String
    /// The blob the path holds.
    public var blob: ObjectID
}

extension Repository {
    /// Lends `body` an object's type and raw content as the object database holds them, without a parsed
    /// libgit2 object (and without its object cache). The bytes are valid only inside `body`.
    func withRawObject<T>(_ id: ObjectID, _ body: (git_object_t, UnsafeRawBufferPointer) throws -> T) throws -> T {
        var oid = id.oid
        var object: OpaquePointer?
        try check(git_odb_read(&object, odb, &oid), "git_odb_read")
        defer { git_odb_object_free(object) }
        return try body(git_odb_object_type(object), UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
    }

    /// The bytes of a blob.
    public func readBlob(_ id: ObjectID) throws -> Data {
        var oid = id.oid
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, handle, &oid), "git_blob_lookup")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: raw, count: size)
    }

    /// Stores `data` as a blob (in the open batch if there is one) and returns its id. `path` says which
    /// file it is a version of, so a batch can store earlier versions as deltas against later ones.
    public func writeBlob(_ data: Data, path: String? = nil) throws -> ObjectID {
        try data.withUnsafeBytes { try storeObject($0, type: GIT_OBJECT_BLOB, lineage: path.map { "file:" + $0 }) }
    }

    /// The id `data` would have as a blob, without storing it.
    public static func hashBlob(_ data: Data) throws -> ObjectID {
        _ = Libgit2.ready
        var oid = git_oid()
        _ = try data.withUnsafeBytes { bytes in
            try check(git_odb_hash(&oid, bytes.baseAddress, bytes.count, GIT_OBJECT_BLOB), "git_odb_hash")
        }
        return ObjectID(oid)
    }

    /// The root tree of a commit.
    public func treeID(ofCommit id: ObjectID) throws -> ObjectID {
        var oid = id.oid
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        return ObjectID(git_commit_tree_id(commit))
    }

    /// The blob at `path` in `commit`'s tree, or nil when the path is absent (or not a file) there.
    public func blobID(at path: String, inCommit id: ObjectID) throws -> ObjectID? {
        try blobID(at: path, inTree: treeID(ofCommit: id))
    }

    /// The bytes at `path` in `commit`, or nil when the path is absent there.
    public func readFile(at path: String, inCommit id: ObjectID) throws -> Data? {
        guard let blob = try blobID(at: path, inCommit: id) else { return nil }
        return try readBlob(blob)
    }

    /// Every file below `prefix` (all files for an empty prefix) in `commit`, sorted by path.
    public func listFiles(inCommit id: ObjectID, under prefix: String = "") throws -> [TreeFile] {
        try withTree(ofCommit: id) { root in
            var start: OpaquePointer? = root
            var subtree: OpaquePointer?
            let trimmed = prefix.split(separator: "/").joined(separator: "/")
            if !trimmed.isEmpty {
                var entry: OpaquePointer?
                let result = git_tree_entry_bypath(&entry, root, trimmed)
                if result == GIT_ENOTFOUND.rawValue { return [] }
                try check(result, "git_tree_entry_bypath")
                defer { git_tree_entry_free(entry) }
                guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return [] }
                try check(git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)), "git_tree_lookup")
                start = subtree
            }
            defer { if subtree != nil { git_tree_free(subtree) } }
            var files: [TreeFile] = []
            try collectFiles(tree: start!, base: trimmed.isEmpty ? "" : trimmed + "/", into: &files)
            return files.sorted { $0.path < $1.path }
        }
    }

    private func collectFiles(tree: OpaquePointer, base: String, into files: inout [TreeFile]) throws {
        let count = git_tree_entrycount(tree)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_BLOB:
                files.append(TreeFile(path: base + name, blob: ObjectID(git_tree_entry_id(entry))))
            case GIT_OBJECT_TREE:
                var subtree: OpaquePointer?
                try check(git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)), "git_tree_lookup")
                defer { git_tree_free(subtree) }
                try collectFiles(tree: subtree!, base: base + name + "/", into: &files)
            default:
                continue
            }
        }
    }

    /// Lends the root tree of a commit to `body`.
    func withTree<T>(ofCommit id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var oid = id.oid
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "git_commit_tree")
        defer { git_tree_free(tree) }
        return try body(tree!)
    }
}
