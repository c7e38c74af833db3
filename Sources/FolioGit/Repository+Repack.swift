import CGit2
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
    /// The pack files (`.pack`) in the repository, with their sizes.
    public func packFiles() throws -> [(name: String, size: Int64)] {
        let folder = path + "/objects/pack"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".pack") }.sorted().map { name in
            let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int64) ?? 0
            return (name, size)
        }
    }

    /// Rewrites every object into one pack and removes the packs and loose objects it replaces, so reads
    /// stay fast (one index to search) and disk use stays close to `git gc`'s.
    ///
    /// Safe beside writers in this and other processes: only packs and loose objects that existed before
    /// the object listing began are removed, and every object they held — reachable or not — goes into
    /// the new pack, so an object a concurrent save reuses (libgit2 skips writing objects that exist)
    /// cannot disappear. Unreachable objects are kept; they are rare (a save that lost a race) and small.
    public func consolidatePacks(threads: UInt32 = 1) throws -> RepackResult {
        let packFolder = path + "/objects/pack"
        let oldPacks = try packFiles()
        let oldLoose = looseObjectPaths()
        // A fresh handle, so the object database lists exactly the packs that exist now.
        let repository = try Repository.open(at: path)

        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, repository.handle), "git_packbuilder_new")
        defer { git_packbuilder_free(builder) }
        git_packbuilder_set_threads(builder, threads)

        // Reachable objects first, walked from every branch, so related versions sit together for deltas.
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, repository.handle), "git_revwalk_new")
        defer { git_revwalk_free(walker) }
        let pushed = git_revwalk_push_glob(walker, "refs/heads/*")
        if pushed != GIT_ENOTFOUND.rawValue { try check(pushed, "git_revwalk_push_glob") }
        try check(git_packbuilder_insert_walk(builder, walker), "git_packbuilder_insert_walk")

        // Then everything else the database holds (the packbuilder skips objects it already has).
        final class Collector { var ids: [git_oid] = [] }
        let collector = Collector()
        try check(git_odb_foreach(repository.odb, { id, payload in
            guard let id, let payload else { return 0 }
            Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue().ids.append(id.pointee)
            return 0
        }, Unmanaged.passUnretained(collector).toOpaque()), "git_odb_foreach")
        for var id in collector.ids {
            try check(git_packbuilder_insert(builder, &id, nil), "git_packbuilder_insert")
        }
        let objects = git_packbuilder_object_count(builder)
        guard objects > 0 else {
            return RepackResult(packsBefore: oldPacks.count, looseBefore: oldLoose.count, objects: 0, bytesBefore: 0, bytesAfter: 0)
        }
        // Written through the indexer, which fsyncs the pack and index when durability is on.
        try check(git_packbuilder_write(builder, packFolder, 0, nil, nil), "git_packbuilder_write")
        let newName = try packName(builder)

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
            packsBefore: oldPacks.count, looseBefore: oldLoose.count, objects: objects,
            bytesBefore: oldPacks.reduce(0) { $0 + $1.size }, bytesAfter: after.reduce(0) { $0 + $1.size })
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
