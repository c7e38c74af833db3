internal import CGit2
import FolioSupport
import Foundation

/// What a consolidation did.
public struct RepackResult: Sendable, Equatable {
    /// Packs before.
    public var packsBefore: Int
    /// Loose objects before.
    public var looseBefore: Int
    /// Objects written to the new pack.
    public var objects: Int
    /// Bytes of pack files before and after.
    public var bytesBefore: Int64
    /// Bytes of pack files after.
    public var bytesAfter: Int64
}

extension Repository {
    /// The pack files (`.pack`) in the repository, with their sizes. Sizes come from stat(2):
    /// Foundation's `attributesOfItem` also lists extended attributes and looks up the owner's user and
    /// group names in /etc/passwd and /etc/group, for each pack.
    public func packFiles() throws -> [(name: String, size: Int64)] {
        let folder = path + "/objects/pack"
        return Repository.packNames(in: folder).sorted().map { name in
            var info = stat()
            let size = stat(folder + "/" + name, &info) == 0 ? Int64(info.st_size) : 0
            return (name, size)
        }
    }

    /// How many pack files the repository at `path` has, without opening it: a directory listing and
    /// no stat of each, for the background roll-up's check after every group commit.
    public static func packCount(inRepositoryAt path: String) -> Int {
        packNames(in: path + "/objects/pack").count
    }

    private static func packNames(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".pack") }
    }

    /// Rewrites objects into one pack and removes the packs and loose objects it replaces, so reads stay
    /// fast (few indexes to search) and disk use stays close to `git gc`'s.
    ///
    /// `full` rewrites everything. Otherwise the repack is geometric, like `git repack --geometric=2`:
    /// packs that already form a progression where each is at least twice the size of the next smaller
    /// one stay as they are, and only the small packs below it (plus loose objects) are merged — with as
    /// many of the larger ones as the merged pack would otherwise break the progression with. Each object
    /// is then rewritten O(log n) times over a repository's life instead of at every consolidation.
    ///
    /// Safe beside writers in this and other processes: only packs and loose objects that existed before
    /// the object listing began are removed, and every object they held — reachable or not — goes into
    /// the new pack, so an object a concurrent save reuses (a loose write skips objects that exist)
    /// cannot disappear. Unreachable objects are kept; they are rare (a save that lost a race) and small.
    public func consolidatePacks(full: Bool = true, threads: UInt32 = 1) throws -> RepackResult {
        let packFolder = path + "/objects/pack"
        let allPacks = try packFiles()
        let oldLoose = looseObjectPaths()
        let oldPacks = full ? allPacks : Repository.geometricRollUp(allPacks)
        let beforeBytes = allPacks.reduce(0) { $0 + $1.size }
        let nothingDone = RepackResult(packsBefore: allPacks.count, looseBefore: oldLoose.count, objects: 0, bytesBefore: beforeBytes, bytesAfter: beforeBytes)
        // One pack and no loose objects is already consolidated (unreachable objects are kept anyway).
        guard oldPacks.count > 1 || !oldLoose.isEmpty else { return nothingDone }
        // A fresh handle, so the object database lists exactly the packs that exist now.
        let repository = try Repository.open(at: path)
        let objects: Int
        let newName: String
        if full {
            (newName, objects) = try repository.repackEverything(into: packFolder, threads: threads)
            guard objects > 0 else { return nothingDone }
        } else {
            // Only what the packs being replaced hold, and the loose objects, copied as they are.
            let looseIDs = try oldLoose.map { loose in
                let hex = loose.split(separator: "/").suffix(2).joined()
                guard let id = ObjectID(hex: hex) else {
                    throw GitError(code: .invalidSpec, function: "consolidatePacks", message: "\(loose) is not named like an object")
                }
                return id
            }
            let stems = oldPacks.map { packFolder + "/" + $0.name.dropLast(".pack".count) }
            let merged = try PackConcatenation(folder: packFolder).merge(stems: stems, loose: looseIDs, from: repository)
            newName = (merged.stem as NSString).lastPathComponent
            objects = merged.objects
        }

        for pack in oldPacks where !pack.name.contains(newName) {
            let stem = packFolder + "/" + pack.name.dropLast(".pack".count)
            // The index goes first: a reader never sees an index whose pack is already gone.
            unlink(stem + ".idx")
            unlink(stem + ".pack")
            unlink(stem + ".rev")
        }
        for loose in oldLoose { unlink(loose) }
        let after = try packFiles()
        return RepackResult(
            packsBefore: allPacks.count, looseBefore: oldLoose.count, objects: objects,
            bytesBefore: beforeBytes, bytesAfter: after.reduce(0) { $0 + $1.size })
    }

    /// Every object of the repository in one new pack, written by libgit2's packbuilder with its full
    /// delta search: reachable objects first, walked from every branch so related versions sit together
    /// for deltas, then everything else the database holds. Returns the pack's name and object count.
    private func repackEverything(into packFolder: String, threads: UInt32) throws -> (name: String, objects: Int) {
        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, handle), "git_packbuilder_new")
        defer { git_packbuilder_free(builder) }
        git_packbuilder_set_threads(builder, threads)
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, handle), "git_revwalk_new")
        defer { git_revwalk_free(walker) }
        let pushed = git_revwalk_push_glob(walker, "refs/heads/*")
        if pushed != GIT_ENOTFOUND.rawValue { try check(pushed, "git_revwalk_push_glob") }
        try check(git_packbuilder_insert_walk(builder, walker), "git_packbuilder_insert_walk")
        // The packbuilder skips objects it already has.
        for var id in try Repository.objectIDs(in: odb) {
            try check(git_packbuilder_insert(builder, &id, nil), "git_packbuilder_insert")
        }
        let objects = git_packbuilder_object_count(builder)
        guard objects > 0 else { return ("", 0) }
        // Written through the indexer, which fsyncs the pack and index when durability is on.
        try check(git_packbuilder_write(builder, packFolder, 0, nil, nil), "git_packbuilder_write")
        return (try packName(builder), objects)
    }

    /// The packs a geometric repack merges (factor 2): the smallest ones up to where the rest, from
    /// there on, grow at least twofold from one to the next and stay at least twice the merged size.
    static func geometricRollUp(_ packs: [(name: String, size: Int64)]) -> [(name: String, size: Int64)] {
        let sorted = packs.sorted { $0.size < $1.size }
        guard sorted.count > 1 else { return [] }
        // From the largest down, find where the progression breaks.
        var split = sorted.count - 1
        while split > 0 && sorted[split].size >= 2 * sorted[split - 1].size { split -= 1 }
        if split > 0 { split += 1 }
        // The merged pack may break the progression with the next ones up: take those in too.
        var total = sorted[..<split].reduce(Int64(0)) { $0 + $1.size }
        while split < sorted.count && sorted[split].size < 2 * total {
            total += sorted[split].size
            split += 1
        }
        return split > 1 ? Array(sorted[..<split]) : []
    }

    /// Every object id an object database lists.
    static func objectIDs(in odb: OpaquePointer) throws -> [git_oid] {
        final class Collector { var ids: [git_oid] = [] }
        let collector = Collector()
        try check(git_odb_foreach(odb, { id, payload in
            guard let id, let payload else { return 0 }
            Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue().ids.append(id.pointee)
            return 0
        }, Unmanaged.passUnretained(collector).toOpaque()), "git_odb_foreach")
        return collector.ids
    }

    private func packName(_ builder: OpaquePointer?) throws -> String {
        guard let name = git_packbuilder_name(builder) else {
            throw GitError(code: .failed, function: "git_packbuilder_name", message: "the new pack has no name")
        }
        return String(cString: name)
    }

    /// Paths of the loose object files.
    func looseObjectPaths() -> [String] {
        let objects = path + "/objects"
        var paths: [String] = []
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? [] where folder.count == 2 {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + folder)) ?? [] where file.count == 38 {
                paths.append(objects + "/" + folder + "/" + file)
            }
        }
        return paths
    }
}
