@testable import FolioGit
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

@Suite struct PackFileTests {
    let folder = TemporaryDirectory("pack")
    var repoPath: String { folder.child("repo.git") }
    let alice = Signature(name: "alice", email: "alice@users.folio.invalid")

    @Test func versionsInOneBatchAreDeltasGitReadsBack() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        try repository.beginBatch()
        // A 200 KB document edited in the middle three times, beside 40 other files in its folder, and
        // a last version with nothing in common (stored whole).
        let page = String(repeating: "The plan covers onboarding, billing and reporting. ", count: 4000)
        var texts = (0..<3).map { page + "edit \($0)\n" + page }
        texts.append(String((0..<200_000).map { _ in "abcdefghij".randomElement()! }))
        var tip: ObjectID?
        var tree: ObjectID?
        var commits: [ObjectID] = []
        var changes = (0..<40).map { TreeChange(path: "p/prd/other\($0).json", blob: try! repository.writeBlob(Data("other \($0)".utf8))) }
        for (index, text) in texts.enumerated() {
            changes.append(TreeChange(path: "p/prd/main.json", blob: try repository.writeBlob(Data(text.utf8), path: "p/prd/main.json")))
            tree = try repository.updatedTree(base: tree, changes: changes)
            changes = []
            tip = try repository.createCommit(tree: tree!, parents: tip.map { [$0] } ?? [], author: alice, committer: alice, message: "v\(index)\n")
            commits.append(tip!)
        }
        try repository.flushBatch()
        try repository.updateReference("refs/heads/main", to: tip!, expected: nil, logMessage: "test")

        try git("-C", repoPath, "fsck", "--strict", "--no-dangling")
        let packs = try FileManager.default.contentsOfDirectory(atPath: repoPath + "/objects/pack").filter { $0.hasSuffix(".idx") }
        #expect(packs.count == 1)
        let verify = try git("-C", repoPath, "verify-pack", "-v", repoPath + "/objects/pack/" + packs[0])
        // Two older versions of the document and three of each folder tree rest on newer ones.
        #expect(verify.contains("chain length = 1"), "\(verify)")
        #expect(verify.contains("chain length = 2"), "\(verify)")
        for (index, commit) in commits.enumerated() {
            #expect(try git("-C", repoPath, "show", "\(commit.hex):p/prd/main.json") == texts[index])
        }
        // The same handle reads every version back through the new pack.
        #expect(try repository.readFile(at: "p/prd/main.json", inCommit: commits[1]) == Data(texts[1].utf8))
        #expect(try repository.listFiles(inCommit: commits[0]).count == 41)
    }

    @Test func deltasCopyThePrefixAndSuffixAndInsertTheRest() {
        let base = Array("hello brave new world".utf8)
        let target = Array("hello bold new world!".utf8)
        let delta = PackFile.delta(from: base, to: target)
        // Both sizes, copy "hello b" (offset 0: no offset byte; size 7), then insert the rest (no common suffix).
        #expect(delta == [21, 21, 0x90, 7, 14] + Array("old new world!".utf8))
        let suffixed = PackFile.delta(from: Array("abcdefghij-tail".utf8), to: Array("abcXdefghij-tail".utf8))
        // Copy "abc", insert "X", copy "defghij-tail" (12 bytes from offset 3).
        #expect(suffixed == [15, 16, 0x90, 3, 1] + Array("X".utf8) + [0x91, 3, 12])
        #expect(apply(delta, to: base) == target)
        let long = [UInt8](repeating: 7, count: 0x12_3456)
        var changed = long
        changed[0x10_0000] = 9
        #expect(apply(PackFile.delta(from: long, to: changed), to: long) == changed)
        #expect(apply(PackFile.delta(from: [], to: target), to: []) == target)
        #expect(apply(PackFile.delta(from: base, to: []), to: base) == [])
    }

    @Test func geometricRollUpMergesOnlyWhatBreaksTheProgression() {
        func packs(_ sizes: [Int64]) -> [(name: String, size: Int64)] { sizes.enumerated().map { ("p\($0.offset)", $0.element) } }
        // Equal small packs: all merge.
        #expect(Repository.geometricRollUp(packs([10, 10, 10])).count == 3)
        // A progression (1000, 400, 100, 40) with small packs below: only those merge.
        #expect(Set(Repository.geometricRollUp(packs([1000, 400, 100, 40, 5, 5, 5])).map(\.name)) == ["p4", "p5", "p6"])
        // When the merged pack would be as large as the next one up, that one joins too.
        #expect(Set(Repository.geometricRollUp(packs([1000, 30, 20, 20])).map(\.name)) == ["p1", "p2", "p3"])
        // Already a progression, or a single pack: nothing to do.
        #expect(Repository.geometricRollUp(packs([1000, 400, 100])).isEmpty)
        #expect(Repository.geometricRollUp(packs([1000])).isEmpty)
    }

    /// Git's delta application (patch-delta.c), independent of the encoder under test.
    func apply(_ delta: [UInt8], to base: [UInt8]) -> [UInt8]? {
        var position = 0
        func size() -> Int {
            var value = 0, shift = 0
            while true {
                let byte = delta[position]; position += 1
                value |= Int(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { return value }
            }
        }
        guard size() == base.count else { return nil }
        let expected = size()
        var out: [UInt8] = []
        while position < delta.count {
            let command = delta[position]; position += 1
            if command & 0x80 != 0 {
                var offset = 0, length = 0
                for bit in 0..<4 where command & (1 << bit) != 0 { offset |= Int(delta[position]) << (8 * bit); position += 1 }
                for bit in 0..<3 where command & (0x10 << bit) != 0 { length |= Int(delta[position]) << (8 * bit); position += 1 }
                if length == 0 { length = 0x10000 }
                guard offset + length <= base.count else { return nil }
                out.append(contentsOf: base[offset..<(offset + length)])
            } else if command > 0 {
                out.append(contentsOf: delta[position..<(position + Int(command))])
                position += Int(command)
            } else {
                return nil
            }
        }
        return out.count == expected ? out : nil
    }
}
