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
        _ old: ObjectID?, _ new: ObjectID?, prefix prefixPath: String, into result: inout [PathChange], newTrees: inout [ObjectID: [UInt8]]
    ) throws {
        if old == new { return }
        let oldTree: [UInt8] = try old.map { try lastNewTrees[$0] ?? readTree($0) } ?? []
        let newTree: [UInt8] = try new.map { id in
            let tree = try lastNewTrees[id] ?? readTree(id)
            newTrees[id] = tree
            return tree
        } ?? []
        // Consecutive versions of a folder differ in an entry or two, so the bytes they share at both
        // ends are skipped without parsing: the first entry that differs starts at the same offset in
        // both, and once the two lists have the same tail left from entry starts, the rest is equal.
        // Only the entries between are merged (parsed as it goes).
        let prefix = TreeEntries.commonPrefix(oldTree, newTree)
        let start = TreeEntries.lastEntryStart(in: oldTree, notAfter: prefix)
        let suffix = TreeEntries.commonSuffix(oldTree, newTree, limit: min(oldTree.count, newTree.count) - start)
        var a = TreeEntries.Cursor(oldTree, at: start), b = TreeEntries.Cursor(newTree, at: start)
        while true {
            let rest = oldTree.count - a.position
            if rest == newTree.count - b.position && rest <= suffix { return }
            switch (a.entry, b.entry) {
            case (nil, nil):
                return
            case (let x?, nil):
                try report((oldTree, x), nil, prefix: prefixPath, into: &result, newTrees: &newTrees)
                a.advance()
            case (nil, let y?):
                try report(nil, (newTree, y), prefix: prefixPath, into: &result, newTrees: &newTrees)
                b.advance()
            case (let x?, let y?):
                if TreeEntries.sameBytes(oldTree, x.whole, newTree, y.whole) {
                    a.advance()
                    b.advance()
                    continue
                }
                let order = TreeEntries.compare(oldTree[x.name], x.kind == .tree, newTree[y.name], y.kind == .tree)
                if order == 0 {
                    try report((oldTree, x), (newTree, y), prefix: prefixPath, into: &result, newTrees: &newTrees)
                    a.advance()
                    b.advance()
                } else if order < 0 {
                    try report((oldTree, x), nil, prefix: prefixPath, into: &result, newTrees: &newTrees)
                    a.advance()
                } else {
                    try report(nil, (newTree, y), prefix: prefixPath, into: &result, newTrees: &newTrees)
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
        try withRawObject(id) { type, content in
            guard type == GIT_OBJECT_TREE else {
                throw GitError(code: .invalidSpec, function: "updatedTree", message: "\(id.hex) is not a tree")
            }
            return Array(content)
        }
    }

    private func writeTree(_ entries: [UInt8], folder: String) throws -> ObjectID {
        try entries.withUnsafeBytes { try storeObject($0, type: GIT_OBJECT_TREE, lineage: "tree:" + folder, detectCollisions: false) }
    }
}

/// Raw tree objects: entries of `<octal mode> <name>\0<20-byte id>`, sorted by name with folders
/// compared as if their name ended in '/' (git's order, which `git fsck --strict` checks).
enum TreeEntries {
    static let blobMode = Array("100644".utf8)
    static let treeMode = Array("40000".utf8)

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
        /// Where the entry at the cursor starts (the tree's length past the last entry).
        private(set) var position: Int
        /// The entry at the cursor, nil past the last (or at a malformed one).
        private(set) var entry: EntryRanges?

        /// A cursor at `position`, which must be where an entry starts.
        init(_ tree: [UInt8], at position: Int = 0) {
            self.tree = tree
            self.position = position
            entry = Cursor.entry(in: tree, at: position)
        }

        mutating func advance() {
            guard let current = entry else { return }
            position = current.whole.upperBound
            entry = Cursor.entry(in: tree, at: position)
        }

        private static func entry(in tree: [UInt8], at position: Int) -> EntryRanges? {
            tree.withUnsafeBytes { bytes -> EntryRanges? in
                guard position < bytes.count, let base = bytes.baseAddress else { return nil }
                guard let spaceAt = offset(of: 0x20, in: bytes, from: position), let nulAt = offset(of: 0, in: bytes, from: spaceAt + 1)
                else { return nil }
                let end = nulAt + 21
                guard end <= bytes.count else { return nil }
                return EntryRanges(
                    whole: position..<end, name: (spaceAt + 1)..<nulAt, id: (end - 20)..<end,
                    kind: kind(ofMode: UnsafeRawBufferPointer(start: base + position, count: spaceAt - position)))
            }
        }
    }

    /// The offset of the first `byte` at or after `start` (memchr, not a byte-by-byte loop).
    static func offset(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress, let found = memchr(base + start, Int32(byte), bytes.count - start) else {
            return nil
        }
        return UnsafeRawPointer(found) - base
    }

    /// Where the last entry that starts at or before `offset` starts (0 for an empty tree). Entries are
    /// stepped over by their NUL, without being parsed.
    static func lastEntryStart(in tree: [UInt8], notAfter offset: Int) -> Int {
        tree.withUnsafeBytes { bytes in
            var start = 0
            while let nul = TreeEntries.offset(of: 0, in: bytes, from: start) {
                let end = nul + 21
                guard end <= offset, end <= bytes.count else { break }
                start = end
            }
            return start
        }
    }

    /// How many bytes the two buffers share at their starts.
    static func commonPrefix(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let count = min(pa.count, pb.count)
                var index = 0
                // Eight bytes at a time; the first differing byte is found from the differing bits.
                while index + 8 <= count {
                    let x = pa.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    let y = pb.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if x != y { return index + firstDifferingByte(x ^ y, fromEnd: false) }
                    index += 8
                }
                while index < count && pa[index] == pb[index] { index += 1 }
                return index
            }
        }
    }

    /// How many bytes the two buffers share at their ends, counting no further than `limit`.
    static func commonSuffix(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let count = min(limit, pa.count, pb.count)
                var length = 0
                while length + 8 <= count {
                    let x = pa.loadUnaligned(fromByteOffset: pa.count - length - 8, as: UInt64.self)
                    let y = pb.loadUnaligned(fromByteOffset: pb.count - length - 8, as: UInt64.self)
                    if x != y { return length + firstDifferingByte(x ^ y, fromEnd: true) }
                    length += 8
                }
                while length < count && pa[pa.count - length - 1] == pb[pb.count - length - 1] { length += 1 }
                return length
            }
        }
    }

    /// In eight bytes loaded from memory, how many bytes equal before the first that differs (counted
    /// from the lowest address, or from the highest with `fromEnd`); `difference` is not zero.
    private static func firstDifferingByte(_ difference: UInt64, fromEnd: Bool) -> Int {
        #if _endian(little)
        return (fromEnd ? difference.leadingZeroBitCount : difference.trailingZeroBitCount) / 8
        #else
        return (fromEnd ? difference.trailingZeroBitCount : difference.leadingZeroBitCount) / 8
        #endif
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

    /// The kind a mode names: "40000" a folder, "160000" a submodule, anything else a file.
    static func kind(ofMode mode: UnsafeRawBufferPointer) -> Kind {
        switch mode.count {
        case 5 where mode[0] == 0x34 && mode[1] == 0x30 && mode[2] == 0x30 && mode[3] == 0x30 && mode[4] == 0x30: .tree
        case 6 where mode[0] == 0x31 && mode[1] == 0x36 && mode[2] == 0x30 && mode[3] == 0x30 && mode[4] == 0x30 && mode[5] == 0x30: .submodule
        default: .blob
        }
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
