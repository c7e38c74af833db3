@testable import FolioGit
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

/// The background roll-up copies pack entries as they are; git must read the result exactly as it read
/// the packs it replaced.
@Suite struct PackConcatenationTests {
    let folder = TemporaryDirectory("concat")
    var repoPath: String { folder.child("repo.git") }
    let alice = Signature(name: "alice", email: "alice@users.folio.invalid")

    /// Every object with its type, size and content, as git reads them.
    func everyObject() throws -> String {
        let listing = try git("-C", repoPath, "cat-file", "--batch-all-objects", "--batch-check")
        let contents = try runCommand("/usr/bin/env", ["git", "-C", repoPath, "cat-file", "--batch-all-objects", "--batch"])
        #expect(contents.status == 0)
        return listing + "\n" + String(try Digest.sha1(Data(contents.stdout.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    @Test func packsFromFolioAndGitWithDeltasDuplicatesAndLooseObjectsBecomeOneThatGitVerifies() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        try repository.beginBatch()
        let page = String(repeating: "The plan covers onboarding, billing and reporting. ", count: 300)
        var tip: ObjectID?
        var tree: ObjectID?
        var shared: ObjectID?
        // Three of Folio's batch packs, each with versions stored as deltas.
        for batch in 0..<3 {
            for version in 0..<4 {
                let blob = try repository.writeBlob(Data((page + "batch \(batch) version \(version)\n" + page).utf8), path: "p/prd/main.json")
                if batch == 0 && version == 0 { shared = blob }
                tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: "p/prd/main.json", blob: blob)])
                tip = try repository.createCommit(tree: tree!, parents: tip.map { [$0] } ?? [], author: alice, committer: alice, message: "b\(batch)v\(version)\n")
            }
            try repository.flushBatch()
        }
        try repository.updateReference("refs/heads/main", to: tip!, expected: nil, logMessage: "test")

        // git's own pack, with git's delta search, holding one object Folio's first pack holds too.
        var ids: [String] = [shared!.hex]
        for version in 0..<6 {
            let text = String(repeating: "Git wrote this paragraph of a long design note. ", count: 200) + "revision \(version)\n"
            let written = try runCommand("/usr/bin/env", ["git", "-C", repoPath, "hash-object", "-w", "--stdin"], input: Data(text.utf8))
            ids.append(written.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let packed = try runCommand(
            "/usr/bin/env", ["git", "-C", repoPath, "pack-objects", "--window=10", "--depth=50", repoPath + "/objects/pack/pack"],
            input: Data((ids.joined(separator: "\n") + "\n").utf8))
        #expect(packed.status == 0, "\(packed.stderr)")
        let gitVerify = try git("-C", repoPath, "verify-pack", "-v", repoPath + "/objects/pack/pack-" + packed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + ".idx")
        #expect(gitVerify.contains("chain length = 1"), "git's pack has deltas: \(gitVerify)")
        // Some loose objects too, one of them also in a pack.
        _ = try runCommand("/usr/bin/env", ["git", "-C", repoPath, "hash-object", "-w", "--stdin"], input: Data("only loose\n".utf8))
        let copy = try repository.readBlob(shared!)
        _ = try runCommand("/usr/bin/env", ["git", "-C", repoPath, "hash-object", "-w", "--stdin"], input: copy)
        #expect(try Repository.open(at: repoPath).looseObjectPaths().count >= 7)

        let before = try everyObject()
        let packsBefore = try Repository.open(at: repoPath).packFiles()
        #expect(packsBefore.count == 4)
        let stems = packsBefore.map { repoPath + "/objects/pack/" + $0.name.dropLast(".pack".count) }
        let loose = try Repository.open(at: repoPath).looseObjectPaths().map { ObjectID(hex: $0.split(separator: "/").suffix(2).joined())! }
        let merged = try PackConcatenation(folder: repoPath + "/objects/pack").merge(stems: stems, loose: loose, from: Repository.open(at: repoPath))
        // The merged pack alone holds everything: the sources and loose objects go.
        for stem in stems {
            unlink(stem + ".idx")
            unlink(stem + ".pack")
        }
        for path in try Repository.open(at: repoPath).looseObjectPaths() { unlink(path) }

        let verify = try git("-C", repoPath, "verify-pack", "-v", merged.stem + ".idx")
        #expect(verify.contains("chain length = 1"), "deltas survive the copy: \(verify)")
        #expect(try everyObject() == before, "every object reads back the same")
        #expect(merged.objects == before.split(separator: "\n").count - 1, "each object once")
        try git("-C", repoPath, "fsck", "--strict", "--no-dangling")
    }

    @Test func aDamagedEntryStopsTheRollUpAndLeavesThePacksAsTheyWere() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        try repository.beginBatch()
        for index in 0..<2 {
            _ = try repository.writeBlob(Data(String(repeating: "pack \(index) ", count: 500).utf8))
            try repository.flushBatch()
        }
        let packs = try repository.packFiles()
        #expect(packs.count == 2)
        // One byte inside the first entry's compressed data of one pack.
        let path = repoPath + "/objects/pack/" + packs[0].name
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[16] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))

        #expect(throws: GitError.self) { try Repository.open(at: repoPath).consolidatePacks(full: false) }
        #expect(try Repository.open(at: repoPath).packFiles().map(\.name) == packs.map(\.name), "nothing was replaced")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repoPath + "/objects/pack").filter { $0.hasPrefix("tmp_") }
        #expect(leftovers.isEmpty)
    }

    @Test func anObjectStoredAgainInAGatheredBatchIsPackedOnce() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        try repository.beginBatch()
        let first = Data("version A".utf8)
        _ = try repository.writeBlob(first)
        var pending = try repository.takeBatchObjects()
        _ = try repository.writeBlob(Data("version B".utf8))
        _ = try repository.writeBlob(first)  // saved back to A within the same batch
        pending = pending.appending(try repository.takeBatchObjects())
        #expect(pending.count == 2)
        try pending.write(toRepository: repoPath)
        let index = try FileManager.default.contentsOfDirectory(atPath: repoPath + "/objects/pack").first { $0.hasSuffix(".idx") }!
        try git("-C", repoPath, "verify-pack", repoPath + "/objects/pack/" + index)
    }

    @Test func aDeltaWhoseDistanceChangesIsRewrittenAndACorruptOneIsRefused() throws {
        // An offset delta 200 bytes after its base, moved so that its base is 70,000 bytes back: the
        // distance takes three bytes instead of two, and the rest of the entry is unchanged.
        var entry: [UInt8] = []
        PackFile.appendEntryHeader(type: 6, size: 300, to: &entry)
        PackFile.appendBaseDistance(200, to: &entry)
        entry += [1, 2, 3, 4]
        let moved = try PackConcatenation.relocated(entry, at: 1_000, newOffset: 80_000) { old in
            #expect(old == 800)
            return 10_000
        }
        var expected: [UInt8] = []
        PackFile.appendEntryHeader(type: 6, size: 300, to: &expected)
        PackFile.appendBaseDistance(70_000, to: &expected)
        expected += [1, 2, 3, 4]
        #expect(moved == expected)
        // A whole object is copied as it is.
        var blob: [UInt8] = []
        PackFile.appendEntryHeader(type: 3, size: 4, to: &blob)
        blob += [9, 9]
        #expect(try PackConcatenation.relocated(blob, at: 12, newOffset: 99) { _ in 0 } == blob)
        // A distance reaching before the pack's start is corruption.
        #expect(throws: GitError.self) { try PackConcatenation.relocated(entry, at: 100, newOffset: 500) { $0 } }
    }
}
