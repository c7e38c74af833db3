internal import CGit2
import Foundation
import FolioSupport

/// A commit as read back from the repository.
public struct CommitInfo: Sendable, Equatable {
    /// The commit's id.
    public var id: ObjectID
    /// Its root tree.
    public var tree: ObjectID
    /// Its parents, first parent first.
    public var parents: [ObjectID]
    /// Who wrote the change.
    public var author: Signature
    /// Who recorded it.
    public var committer: Signature
    /// The full message, trailers included.
    public var message: String
    /// The message's trailers (`Key: value` lines at its end), in order.
    public var trailers: [(key: String, value: String)]

    /// The message's first line.
    public var subject: String { String(message.prefix { $0 != "\n" }) }

    /// The value of the first trailer named `key`.
    public func trailer(_ key: String) -> String? {
        trailers.first { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value
    }

    /// Compares everything but the trailer tuples by value.
    public static func == (lhs: CommitInfo, rhs: CommitInfo) -> Bool {
        lhs.id == rhs.id && lhs.tree == rhs.tree && lhs.parents == rhs.parents && lhs.author == rhs.author
            && lhs.committer == rhs.committer && lhs.message == rhs.message
            && lhs.trailers.map { "\($0.key)=\($0.value)" } == rhs.trailers.map { "\($0.key)=\($0.value)" }
    }
}

/// How one path changed between a commit and its first parent.
public struct PathChange: Sendable, Equatable {
    /// The file's path.
    public var path: String
    /// The blob before (nil when the path was added).
    public var oldBlob: ObjectID?
    /// The blob after (nil when the path was removed, or when a submodule took its place).
    public var newBlob: ObjectID?
    /// The new entry's mode (`0o100644` for a regular file, `0o100755`, `0o120000` for a symlink,
    /// `0o160000` for a submodule), nil when the path was removed. Folio writes only regular files;
    /// the push hook refuses the others.
    public var newMode: UInt32? = nil
}

extension Repository {
    /// Writes a commit object without moving any reference; the caller publishes it with `updateReference`.
    ///
    /// Built from ids, so neither the tree nor the parents are loaded and parsed (a root tree can hold
    /// thousands of entries). Outside a batch libgit2 checks that they exist; in a batch the writer has
    /// just made or read them, and the commit is formatted here exactly as libgit2 formats it (a test
    /// compares the two), because libgit2's check and write search every pack's index several times.
    public func createCommit(tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature, message: String) throws -> ObjectID {
        if batch != nil {
            // libgit2 would end the message at a NUL; the callers refuse one before it gets here.
            guard !message.utf8.contains(0) else {
                throw GitError(code: .invalidSpec, function: "createCommit", message: "a commit message cannot contain a NUL byte")
            }
            let bytes = try author.withGitSignature { author in
                try committer.withGitSignature { committer in
                    Repository.commitText(tree: tree, parents: parents, author: author.pointee, committer: committer.pointee, message: message)
                }
            }
            return try bytes.withUnsafeBytes { try storeObject($0, type: GIT_OBJECT_COMMIT, lineage: nil) }
        }
        var treeOID = tree.oid
        let parentOIDs = UnsafeMutableBufferPointer<git_oid>.allocate(capacity: max(parents.count, 1))
        defer { parentOIDs.deallocate() }
        for (index, parent) in parents.enumerated() { parentOIDs[index] = parent.oid }
        var parentPointers: [UnsafePointer<git_oid>?] = parents.indices.map { UnsafePointer(parentOIDs.baseAddress! + $0) }
        var out = git_oid()
        _ = try author.withGitSignature { authorSignature in
            try committer.withGitSignature { committerSignature in
                try check(
                    git_commit_create_from_ids(&out, handle, nil, authorSignature, committerSignature, "UTF-8", message, &treeOID, parents.count, &parentPointers),
                    "git_commit_create_from_ids")
            }
        }
        return ObjectID(out)
    }

    /// A commit object's bytes as libgit2 1.5 writes them (`git_commit__create_buffer_internal`, with
    /// the signatures as `git_signature_new` trimmed them, and the UTF-8 encoding header).
    private static func commitText(tree: ObjectID, parents: [ObjectID], author: git_signature, committer: git_signature, message: String) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(256 + message.utf8.count)
        text.append(contentsOf: "tree \(tree.hex)\n".utf8)
        for parent in parents { text.append(contentsOf: "parent \(parent.hex)\n".utf8) }
        for (header, signature) in [("author ", author), ("committer ", committer)] {
            let offset = abs(Int(signature.when.offset))
            let sign = signature.when.offset < 0 || signature.when.sign == CChar(UInt8(ascii: "-")) ? "-" : "+"
            let zone = sign + (offset / 60 < 10 ? "0" : "") + String(offset / 60) + (offset % 60 < 10 ? "0" : "") + String(offset % 60)
            text.append(contentsOf: header.utf8)
            text.append(contentsOf: UnsafeRawBufferPointer(start: signature.name, count: strlen(signature.name)))
            text.append(contentsOf: " <".utf8)
            text.append(contentsOf: UnsafeRawBufferPointer(start: signature.email, count: strlen(signature.email)))
            // libgit2 prints the time as an unsigned 32-bit number.
            text.append(contentsOf: "> \(UInt32(truncatingIfNeeded: signature.when.time)) \(zone)\n".utf8)
        }
        text.append(contentsOf: "encoding UTF-8\n\n".utf8)
        text.append(contentsOf: message.utf8)
        return text
    }

    /// Reads a commit's header, message and trailers.
    public func commit(_ id: ObjectID) throws -> CommitInfo {
        var oid = id.oid
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        let parentCount = git_commit_parentcount(commit)
        let parents = (0..<parentCount).map { ObjectID(git_commit_parent_id(commit, $0)) }
        let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        return CommitInfo(
            id: id,
            tree: ObjectID(git_commit_tree_id(commit)),
            parents: parents,
            author: Signature(git_commit_author(commit)),
            committer: Signature(git_commit_committer(commit)),
            message: message,
            trailers: try Repository.trailers(of: message))
    }

    /// The `Key: value` trailers at the end of a commit message.
    public static func trailers(of message: String) throws -> [(key: String, value: String)] {
        _ = Libgit2.ready
        var array = git_message_trailer_array()
        try check(git_message_trailers(&array, message), "git_message_trailers")
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { index in
            let trailer = array.trailers[index]
            return (String(cString: trailer.key), String(cString: trailer.value))
        }
    }

    /// The files a commit changed relative to its first parent (all its files for a root commit).
    public func changes(in id: ObjectID) throws -> [PathChange] {
        let info = try commit(id)
        return try changes(from: info.parents.first.map { try treeID(ofCommit: $0) }, to: info.tree)
    }

    /// The first-parent chain from `tip` back to (not including) `stop`, oldest first.
    ///
    /// With `stop` nil the whole chain down to the root commit is returned.
    public func firstParentChain(from tip: ObjectID, stoppingAt stop: ObjectID?) throws -> [ObjectID] {
        if let chain = try firstParentLine(from: tip, stoppingAt: stop) { return chain }
        return try walk(from: tip, hiding: stop.map { [$0] } ?? [], firstParentOnly: true)
    }

    /// The first-parent line from `tip` down to `stop` (exclusive) or the root, oldest first, read from
    /// the commits' headers alone: a catch-up of 100,000 commits spent a tenth of its time in the
    /// revwalk, which parses each commit and sorts them all before returning the first. Nil when `stop`
    /// is not on the line (it is reachable only through a merge's other parent): hiding it then hides
    /// more than the commits below it, and the revwalk decides.
    private func firstParentLine(from tip: ObjectID, stoppingAt stop: ObjectID?) throws -> [ObjectID]? {
        var line: [ObjectID] = []
        var next: ObjectID? = tip
        while let commit = next, commit != stop {
            line.append(commit)
            next = try firstParent(of: commit)
        }
        if stop != nil && next == nil { return nil }
        return line.reversed()
    }

    /// A commit's first parent from its raw header ("tree <id>" then "parent <id>" lines), nil for a root.
    public func firstParent(of commit: ObjectID) throws -> ObjectID? {
        try withRawObject(commit) { type, header in
            guard type == GIT_OBJECT_COMMIT else {
                throw GitError(code: .invalidSpec, function: "firstParent", message: "\(commit.hex) is not a commit")
            }
            let tree = Array("tree ".utf8), parent = Array("parent ".utf8)
            // 40 hex digits and a newline follow each keyword; the parents come right after the tree.
            let parentAt = tree.count + 41
            guard header.count >= parentAt, header.starts(with: tree), header[parentAt - 1] == 0x0a else {
                throw GitError(code: .invalidSpec, function: "firstParent", message: "\(commit.hex) has no tree line")
            }
            let rest = UnsafeRawBufferPointer(rebasing: header[parentAt...])
            guard rest.starts(with: parent) else { return nil }
            guard rest.count >= parent.count + 41, rest[parent.count + 40] == 0x0a else {
                throw GitError(code: .invalidSpec, function: "firstParent", message: "\(commit.hex) has a malformed parent line")
            }
            var parentOID = git_oid()
            try check(
                git_oid_fromstrn(&parentOID, rest.baseAddress!.assumingMemoryBound(to: CChar.self) + parent.count, 40), "git_oid_fromstrn")
            return ObjectID(parentOID)
        }
    }

    /// The commits reachable from `tip` but not from any of `hidden`, oldest first (parents before
    /// children), following first parents only when asked.
    func walk(from tip: ObjectID, hiding hidden: [ObjectID], firstParentOnly: Bool) throws -> [ObjectID] {
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, handle), "git_revwalk_new")
        defer { git_revwalk_free(walker) }
        try check(git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue), "git_revwalk_sorting")
        if firstParentOnly { try check(git_revwalk_simplify_first_parent(walker), "git_revwalk_simplify_first_parent") }
        var tipOID = tip.oid
        try check(git_revwalk_push(walker, &tipOID), "git_revwalk_push")
        for id in hidden {
            var oid = id.oid
            try check(git_revwalk_hide(walker, &oid), "git_revwalk_hide")
        }
        var ids: [ObjectID] = []
        var oid = git_oid()
        while true {
            let result = git_revwalk_next(&oid, walker)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_revwalk_next")
            ids.append(ObjectID(oid))
        }
        return ids
    }
}
