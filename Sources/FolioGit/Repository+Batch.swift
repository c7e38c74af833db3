internal import CGit2
import Foundation
import FolioSupport

/// The state of an open batch: the in-memory backend new objects land in, the objects the batch
/// created (in the order written), and the pack backend's refresh, which the batch calls itself.
final class Batch {
    let mempack: UnsafeMutablePointer<git_odb_backend>
    let pack: UnsafeMutablePointer<git_odb_backend>
    let refreshPacks: @convention(c) (UnsafeMutablePointer<git_odb_backend>?) -> Int32
    /// Each created object with what it is a version of (a folder's or file's path), for deltas.
    var objects: [(id: ObjectID, lineage: String?)] = []
    var known: Set<ObjectID> = []
    /// Bytes stored in the in-memory backend since it was last emptied.
    var heldBytes = 0

    init(mempack: UnsafeMutablePointer<git_odb_backend>, pack: UnsafeMutablePointer<git_odb_backend>,
         refreshPacks: @escaping @convention(c) (UnsafeMutablePointer<git_odb_backend>?) -> Int32) {
        self.mempack = mempack
        self.pack = pack
        self.refreshPacks = refreshPacks
    }

    func record(_ id: ObjectID, lineage: String?) {
        if known.insert(id).inserted { objects.append((id, lineage)) }
    }

    /// Forgets which objects were created (they were taken for a pack, or are dropped).
    func forget() {
        objects.removeAll(keepingCapacity: true)
        known.removeAll(keepingCapacity: true)
    }
}

/// A batch's new objects copied out of the in-memory backend, to be written as one pack. It holds no
/// libgit2 handle, so the pack can be encoded and written on another thread while the writer goes on
/// building the next batch on top of these objects.
public struct PendingPack: Sendable {
    fileprivate let objects: [PackFile.Object]

    /// How many objects the pack will hold.
    public var count: Int { objects.count }

    /// This pack followed by `later`'s objects (created after these), as one pack. An object both hold
    /// (a file saved back to an earlier version) is kept once: an index may not list an id twice.
    public func appending(_ later: PendingPack) -> PendingPack {
        let held = Set(objects.map(\.id))
        return PendingPack(objects: objects + later.objects.filter { !held.contains($0.id) })
    }

    /// Writes the objects as one durable pack with its index (see `PackFile`) into the repository at `path`.
    public func write(toRepository path: String) throws {
        guard !objects.isEmpty else { return }
        try PackFile(objects: objects).write(into: path + "/objects/pack")
    }
}

extension Repository {
    /// Starts collecting new objects in memory instead of writing each as a loose, fsynced file.
    ///
    /// A save writes five or more objects (blob, trees, commit); as loose files that is one fsync each.
    /// Collected in memory, taken out (`takeBatchObjects`) and written as one pack, a whole group of
    /// saves costs one pack and index fsync. Objects stay readable through this handle until the batch
    /// is settled or discarded.
    ///
    /// The handle gets its own object database: the in-memory backend first, then the repository's
    /// loose objects and packs. Its pack backend does not rescan the pack folder by itself: libgit2
    /// rescans (a directory listing) whenever a lookup or a write through it misses, which for a writer
    /// was at every new object. The batch rescans when it is settled instead, and `refreshObjects()`
    /// does when another writer moved the branch.
    public func beginBatch() throws {
        guard batch == nil else { return }
        let objectsPath = (path as NSString).appendingPathComponent("objects")
        var newODB: OpaquePointer?
        try check(git_odb_new(&newODB), "git_odb_new")
        guard let newODB else { throw GitError(code: .failed, function: "git_odb_new", message: "no object database") }
        var adopted = false
        defer { if !adopted { git_odb_free(newODB) } }

        var loose: UnsafeMutablePointer<git_odb_backend>?
        try check(git_odb_backend_loose(&loose, objectsPath, -1, 1, 0, 0), "git_odb_backend_loose")
        try add(loose, to: newODB, priority: 1)
        var pack: UnsafeMutablePointer<git_odb_backend>?
        try check(git_odb_backend_pack(&pack, objectsPath), "git_odb_backend_pack")
        guard let pack, let refreshPacks = pack.pointee.refresh else {
            pack?.pointee.free(pack)
            throw GitError(code: .failed, function: "git_odb_backend_pack", message: "the pack backend cannot refresh")
        }
        pack.pointee.refresh = nil
        try add(pack, to: newODB, priority: 2)
        var mempack: UnsafeMutablePointer<git_odb_backend>?
        try check(git_mempack_new(&mempack), "git_mempack_new")
        // The highest priority makes new objects land here rather than in the loose backend.
        try add(mempack, to: newODB, priority: 1000)

        try check(git_repository_set_odb(handle, newODB), "git_repository_set_odb")
        adopted = true
        git_odb_free(odb)
        odb = newODB
        batch = Batch(mempack: mempack!, pack: pack, refreshPacks: refreshPacks)
    }

    /// Hands `backend` to `odb`, which owns it from then on; frees it if that fails.
    private func add(_ backend: UnsafeMutablePointer<git_odb_backend>?, to odb: OpaquePointer, priority: Int32) throws {
        if let error = Result(catching: { try check(git_odb_add_backend(odb, backend, priority), "git_odb_add_backend") }).failure {
            backend?.pointee.free(backend)
            throw error
        }
    }

    /// Stores an object and returns its id: with a batch open, straight into its in-memory backend and
    /// noted for the batch's pack (`lineage` names what it is a version of, a folder's or a file's path,
    /// so versions in one batch can be stored as deltas); otherwise as a loose object.
    ///
    /// libgit2's `git_odb_write` first asks every backend whether the object exists, to refresh its
    /// modification time: a `utimes` of the loose path and a search of every pack's index, twice when
    /// the object is new (again after a refresh). A save writes five objects, and a busy repository
    /// has dozens of packs, so that was hundreds of index searches per save for objects that are new
    /// by construction. An object that is in a pack already is packed once more; git allows an object
    /// in several packs, and the roll-up keeps one copy.
    ///
    /// `detectCollisions: false` hashes with OpenSSL's SHA-1 (the CPU's SHA instructions) instead of
    /// libgit2's collision-detecting one, which was about half of the writer's CPU for the 35 KB tree of
    /// a 1,000-file folder per save. The ids are the same; what is given up is the detection of a
    /// crafted collision, which needs an attacker to choose whole 64-byte blocks of the hashed bytes.
    /// Only trees the writer composes are hashed this way: their entries are modes, ids (hash outputs,
    /// which cannot be chosen) and names, the new ones limited to the key rules (letters, digits,
    /// `.-_`) and the others from trees already in the repository, each checked by git's detecting
    /// hash when it was pushed. Blobs and commits, whose bytes a user chooses, keep the detection.
    func storeObject(_ bytes: UnsafeRawBufferPointer, type: git_object_t, lineage: String?, detectCollisions: Bool = true) throws -> ObjectID {
        guard let start = bytes.baseAddress else {
            // libgit2 wants a non-null buffer even for an empty object (an empty tree).
            var none: UInt8 = 0
            return try withUnsafeBytes(of: &none) {
                try storeObject(UnsafeRawBufferPointer(rebasing: $0[0..<0]), type: type, lineage: lineage, detectCollisions: detectCollisions)
            }
        }
        var oid = git_oid()
        guard let batch else {
            try check(git_odb_write(&oid, odb, start, bytes.count, type), "git_odb_write")
            return ObjectID(oid)
        }
        if detectCollisions {
            try check(git_odb_hash(&oid, start, bytes.count, type), "git_odb_hash")
        } else {
            let hash = try Digest.SHA1Stream()
            try Array("\(String(cString: git_object_type2string(type))) \(bytes.count)\0".utf8).withUnsafeBytes { try hash.update($0) }
            try hash.update(bytes)
            let digest = try hash.finish()
            try check(digest.withUnsafeBufferPointer { git_oid_fromraw(&oid, $0.baseAddress) }, "git_oid_fromraw")
        }
        guard let write = batch.mempack.pointee.write else {
            throw GitError(code: .failed, function: "git_mempack_new", message: "the in-memory backend cannot store objects")
        }
        try check(write(batch.mempack, &oid, start, bytes.count, type), "git_mempack write")
        batch.heldBytes += bytes.count
        let id = ObjectID(oid)
        batch.record(id, lineage: lineage)
        return id
    }

    /// Writes every object created since the last take as one durable pack with its index (see
    /// `PackFile`), then settles the batch.
    ///
    /// Call this before moving a reference to a commit in the batch, so the reference never points at
    /// objects that a crash could lose. (libgit2's own `git_mempack_dump` would add every object
    /// reachable from each commit's tree — the whole repository's current files, again in every pack.)
    public func flushBatch() throws {
        try takeBatchObjects().write(toRepository: path)
        try settleBatch()
    }

    /// Copies out the objects created since the last take, for `PendingPack.write`. The in-memory
    /// backend keeps them, so the next commits can be built on these before their pack is written.
    public func takeBatchObjects() throws -> PendingPack {
        guard let batch else { return PendingPack(objects: []) }
        var objects: [PackFile.Object] = []
        objects.reserveCapacity(batch.objects.count)
        for (id, lineage) in batch.objects {
            objects.append(try withRawObject(id) { type, content in
                PackFile.Object(id: id, type: type, content: Array(content), lineage: lineage)
            })
        }
        batch.forget()
        return PendingPack(objects: objects)
    }

    /// Bytes the open batch holds in memory; `settleBatch` gives them back.
    public var batchBytes: Int { batch?.heldBytes ?? 0 }

    /// Lists the packs written since the last settle, then empties the in-memory backend. Call it only
    /// when every object taken from the batch is in a durable pack: the new packs must be known before
    /// the in-memory copies go.
    public func settleBatch() throws {
        guard let batch else { return }
        try check(batch.refreshPacks(batch.pack), "git_odb_refresh")
        try discardBatch()
    }

    /// Drops the objects collected since the last settle, written or not (after a lost compare-and-swap,
    /// for example).
    public func discardBatch() throws {
        guard let batch else { return }
        try check(git_mempack_reset(batch.mempack), "git_mempack_reset")
        batch.forget()
        batch.heldBytes = 0
    }
}
