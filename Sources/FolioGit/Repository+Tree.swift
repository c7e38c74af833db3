internal import CGit2
import FolioSupport
import Foundation

/// One path to set or remove when building a new tree from an old one.
public struct TreeChange: Sendable, Equatable {
    /// The file's path, `/`-separated; intermediate trees are created or pruned as needed.
    public var path: String
    /// The new blob, or nil to remove the path.
    public var blob: ObjectID?

    /// Sets or removes `path`.
    public init(path: String, blob: ObjectID?) {
        self.path = path
        self.blob = blob
    }
}

extension Repository {
    /// Writes the tree that results from applying `changes` to `base` (nil: the empty tree).
    ///
    /// Each folder on a changed path is rewritten by splicing one entry into its raw tree object —
    /// find the entry, replace, insert or drop it, write the bytes — rather than parsing every entry
    /// into a builder, sorting and formatting them again. A save changes one entry per folder, and a
    /// folder (or the root, with one entry per project) can hold thousands. Folders left empty are
    /// removed, as git does.
    public func updatedTree(base: ObjectID?, changes: [TreeChange]) throws -> ObjectID {
        var root = base
        for change in changes {
            let components = change.path.split(separator: "/").map { Array($0.utf8) }
            guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty }) else {
                throw GitError(code: .invalidSpec, function: "updatedTree", message: "'\(change.path)' is not a file path")
            }
            root = try splice(tree: root, folder: "", components: components[...], blob: change.blob)
        }
        // Removing the last file leaves the empty tree, which a commit can still point at.
        return try root ?? writeTree([], folder: "")
    }

    /// Applies one change below `tree` (nil: a folder that does not exist yet); nil when it ends empty.
    private func splice(tree: ObjectID?, folder: String, components: ArraySlice<[UInt8]>, blob: ObjectID?) throws -> ObjectID? {
        var entries = try tree.map(readTree) ?? []
        let name = components.first!
        let existing = TreeEntries.find(name, in: entries)
        var replacement: (mode: [UInt8], id: ObjectID)?
        if components.count == 1 {
            replacement = blob.map { (TreeEntries.blobMode, $0) }
        } else {
            // A file standing where a folder is needed is replaced by the folder.
            let child = existing.flatMap { $0.kind == .tree ? TreeEntries.id(entries, at: $0.entry) : nil }
            let path = folder.isEmpty ? String(decoding: name, as: UTF8.self) : folder + "/" + String(decoding: name, as: UTF8.self)
            replacement = try splice(tree: child, folder: path, components: components.dropFirst(), blob: blob).map { (TreeEntries.treeMode, $0) }
        }
        if existing == nil && replacement == nil { return tree }
        if let existing { entries.removeSubrange(existing.entry) }
        if let replacement {
            let position = TreeEntries.insertionPoint(name, isTree: replacement.mode == TreeEntries.treeMode, in: entries)
            entries.insert(contentsOf: TreeEntries.encode(mode: replacement.mode, name: name, id: replacement.id), at: position)
        }
        return entries.isEmpty ? nil : try writeTree(entries, folder: folder)
    }

    /// The blob at `path` below `tree`, or nil when the path is absent (or not a file) there. Reads the
    /// raw trees on the path and scans them, without parsing every entry into libgit2 objects.
    public func blobID(at path: String, inTree tree: ObjectID) throws -> ObjectID? {
        var current = tree
        let components = path.split(separator: "/").map { Array($0.utf8) }
        for (depth, name) in components.enumerated() {
            let entries = try readTree(current)
            guard let found = TreeEntries.find(name, in: entries) else { return nil }
            guard found.kind == (depth == components.count - 1 ? .blob : .tree) else { return nil }
            current = TreeEntries.id(entries, at: found.entry)
        }
        return components.isEmpty ? nil : current
    }

    /// The files that differ between two trees (nil: the empty tree), in git's path order. Walks the raw
    /// trees side by side and descends only into folders whose ids differ, so a commit that changed one
    /// file in a repository of many costs a few tree reads, not a diff of everything. Submodules are not
    /// files and are skipped; a path that changed between file and folder is a delete and an add.
    public func changes(from oldTree: ObjectID?, to newTree: ObjectID) throws -> [PathChange] {
        var result: [PathChange] = []
        var newTrees: [ObjectID: [UInt8]] = [:]
        try diffTrees(oldTree, newTree, prefix: "", into: &result, newTrees: &newTrees)
        lastNewTrees = newTrees
        return result
    }

    private func diffTrees(
        _ old: ObjectID?, _ new: ObjectID?, prefix: String, into result: inout [PathChange], newTrees: inout [ObjectID: [UInt8]]
    ) throws {
        if old == new { return }
        let oldTree: [UInt8] = try old.map { try lastNewTrees[$0] ?? readTree($0) } ?? []
        let newTree: [UInt8] = try new.map { id in
            let tree = try lastNewTrees[id] ?? readTree(id)
            newTrees[id] = tree
            return tree
        } ?? []
        // A merge of the two sorted entry lists, parsed as it goes. Entries that are the same byte for byte
        // (nearly all of them when a commit changed one file) are skipped with one comparison each, and
        // ids become `ObjectID`s only for what differs.
        var a = TreeEntries.Cursor(oldTree), b = TreeEntries.Cursor(newTree)
        while true {
            switch (a.entry, b.entry) {
            case (nil, nil):
                return
            case (let x?, nil):
                try report((oldTree, x), nil, prefix: prefix, into: &result, newTrees: &newTrees)
                a.advance()
            case (nil, let y?):
                try report(nil, (newTree, y), prefix: prefix, into: &result, newTrees: &newTrees)
                b.advance()
            case (let x?, let y?):
                if TreeEntries.sameBytes(oldTree, x.whole, newTree, y.whole) {
                    a.advance()
                    b.advance()
                    continue
                }
                let order = TreeEntries.compare(oldTree[x.name], x.kind == .tree, newTree[y.name], y.kind == .tree)
                if order == 0 {
                    try report((oldTree, x), (newTree, y), prefix: prefix, into: &result, newTrees: &newTrees)
                    a.advance()
                    b.advance()
                } else if order < 0 {
                    try report((oldTree, x), nil, prefix: prefix, into: &result, newTrees: &newTrees)
                    a.advance()
                } else {
                    try report(nil, (newTree, y), prefix: prefix, into: &result, newTrees: &newTrees)
                    b.advance()
                }
            }
        }
    }

    /// One differing entry (the same name on both sides, or on one side only).
    private func report(
        _ old: (tree: [UInt8], entry: TreeEntries.EntryRanges)?, _ new: (tree: [UInt8], entry: TreeEntries.EntryRanges)?,
        prefix: String, into result: inout [PathChange], newTrees: inout [ObjectID: [UInt8]]
    ) throws {
        let named = (old ?? new)!
        let name = String(decoding: named.tree[named.entry.name], as: UTF8.self)
        let path = prefix.isEmpty ? name : prefix + "/" + name
        func id(_ side: (tree: [UInt8], entry: TreeEntries.EntryRanges)?, _ kind: TreeEntries.Kind) -> ObjectID? {
            guard let side, side.entry.kind == kind else { return nil }
            return side.tree[side.entry.id].withUnsafeBytes { ObjectID(bytes: $0) }
        }
        let oldFile = id(old, .blob), newFile = id(new, .blob)
        // A folder has no mode of its own here: its entries are reported one by one.
        let newMode = new.flatMap { $0.entry.kind == .tree ? nil : TreeEntries.mode($0.tree, $0.entry) }
        let modeChanged = old.flatMap { $0.entry.kind == .tree ? nil : TreeEntries.mode($0.tree, $0.entry) } != newMode
        if oldFile != nil || newFile != nil, oldFile != newFile || modeChanged {
            result.append(PathChange(path: path, oldBlob: oldFile, newBlob: newFile, newMode: newMode))
        } else if new?.entry.kind == .submodule {
            // Reported so that a push hook can refuse it; ingest has no file to record for it.
            result.append(PathChange(path: path, oldBlob: nil, newBlob: nil, newMode: newMode))
        }
        let oldFolder = id(old, .tree), newFolder = id(new, .tree)
        if oldFolder != nil || newFolder != nil {
            try diffTrees(oldFolder, newFolder, prefix: path, into: &result, newTrees: &newTrees)
        }
    }

    /// The size of a blob in bytes, from the object's header (no inflating of its content).
    public func blobSize(_ id: ObjectID) throws -> Int {
        var oid = id.oid
        var size = 0
        var type = GIT_OBJECT_ANY
        try check(git_odb_read_header(&size, &type, odb, &oid), "git_odb_read_header")
        return size
    }

    private func readTree(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.oid
        var object: OpaquePointer?
        try check(git_odb_read(&object, odb, &oid), "git_odb_read")
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_TREE else {
            throw GitError(code: .invalidSpec, function: "updatedTree", message: "\(id.hex) is not a tree")
        }
        return Array(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
    }

    private func writeTree(_ entries: [UInt8], folder: String) throws -> ObjectID {
        var oid = git_oid()
        try entries.withUnsafeBytes { bytes in
            try check(git_odb_write(&oid, odb, bytes.baseAddress, bytes.count, GIT_OBJECT_TREE), "git_odb_write")
        }
        let id = ObjectID(oid)
        recordBatchObject(id, lineage: "tree:" + folder)
        return id
    }
}

/// Raw tree objects: entries of `<octal mode> <name>\0<20-byte id>`, sorted by name with folders
/// compared as if their name ended in '/' (git's order, which `git fsck --strict` checks).
enum TreeEntries {
    static let blobMode = Array("100644".utf8)
    static let treeMode = Array("40000".utf8)
    static let submoduleMode = Array("160000".utf8)

    /// What an entry's mode says it is.
    enum Kind {
        case blob, tree, submodule
    }

    /// Where one entry's name and id lie in its raw tree, and what it is.
    struct EntryRanges {
        /// The whole entry: mode, name and id.
        var whole: Range<Int>
        var name: Range<Int>
        var id: Range<Int>
        var kind: Kind
    }

    /// Reads a raw tree's entries one at a time.
    struct Cursor {
        private let tree: [UInt8]
        private var position = 0
        /// The entry at the cursor, nil past the last (or at a malformed one).
        private(set) var entry: EntryRanges?

        init(_ tree: [UInt8]) {
            self.tree = tree
            entry = Cursor.entry(in: tree, at: 0)
        }

        mutating func advance() {
            guard let current = entry else { return }
            position = current.whole.upperBound
            entry = Cursor.entry(in: tree, at: position)
        }

        private static func entry(in tree: [UInt8], at position: Int) -> EntryRanges? {
            guard position < tree.count, let space = tree[position...].firstIndex(of: 0x20),
                  let nul = tree[(space + 1)...].firstIndex(of: 0), nul + 21 <= tree.count else { return nil }
            let end = nul + 21
            return EntryRanges(whole: position..<end, name: (space + 1)..<nul, id: (end - 20)..<end, kind: kind(ofMode: tree[position..<space]))
        }
    }

    /// Whether two entries are the same bytes (same mode, name and id).
    static func sameBytes(_ a: [UInt8], _ ra: Range<Int>, _ b: [UInt8], _ rb: Range<Int>) -> Bool {
        guard ra.count == rb.count else { return false }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in memcmp(pa.baseAddress! + ra.lowerBound, pb.baseAddress! + rb.lowerBound, ra.count) == 0 }
        }
    }

    /// An entry's mode as a number (the octal digits before its name).
    static func mode(_ tree: [UInt8], _ entry: EntryRanges) -> UInt32 {
        var mode: UInt32 = 0
        for digit in tree[entry.whole.lowerBound..<(entry.name.lowerBound - 1)] { mode = mode << 3 | UInt32(digit &- 0x30) & 7 }
        return mode
    }

    static func kind(ofMode mode: ArraySlice<UInt8>) -> Kind {
        if mode.elementsEqual(treeMode) { return .tree }
        return mode.elementsEqual(submoduleMode) ? .submodule : .blob
    }

    /// The range of the entry named `name`, and its kind, if there is one.
    static func find(_ name: [UInt8], in entries: [UInt8]) -> (entry: Range<Int>, kind: Kind)? {
        var cursor = Cursor(entries)
        while let entry = cursor.entry {
            if entries[entry.name].elementsEqual(name) { return (entry.whole, entry.kind) }
            cursor.advance()
        }
        return nil
    }

    static func id(_ entries: [UInt8], at entry: Range<Int>) -> ObjectID {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { $0.copyBytes(from: entries[(entry.upperBound - 20)..<entry.upperBound]) }
        return ObjectID(oid)
    }

    /// Where an entry named `name` goes: before the first entry that sorts after it.
    static func insertionPoint(_ name: [UInt8], isTree: Bool, in entries: [UInt8]) -> Int {
        var cursor = Cursor(entries)
        while let entry = cursor.entry {
            if compare(entries[entry.name], entry.kind == .tree, name[...], isTree) > 0 { return entry.whole.lowerBound }
            cursor.advance()
        }
        return entries.count
    }

    /// git's `base_name_compare`: bytes first; at the end of the shorter name a folder counts as '/'.
    static func compare(_ a: ArraySlice<UInt8>, _ aIsTree: Bool, _ b: ArraySlice<UInt8>, _ bIsTree: Bool) -> Int {
        for (x, y) in zip(a, b) where x != y { return Int(x) - Int(y) }
        let nextA: UInt8 = a.count > b.count ? a[a.startIndex + b.count] : (aIsTree ? 0x2f : 0)
        let nextB: UInt8 = b.count > a.count ? b[b.startIndex + a.count] : (bIsTree ? 0x2f : 0)
        return Int(nextA) - Int(nextB)
    }

    static func encode(mode: [UInt8], name: [UInt8], id: ObjectID) -> [UInt8] {
        var out = mode
        out.append(0x20)
        out.append(contentsOf: name)
        out.append(0)
        withUnsafeBytes(of: id.oid.id) { out.append(contentsOf: $0.prefix(20)) }
        return out
    }
}
