import FolioGit
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

@Suite struct TreeUpdateTests {
    let folder = TemporaryDirectory("tree")
    var repoPath: String { folder.child("repo.git") }

    @Test(arguments: [false, true])
    func randomEditsGiveTheTreesGitExpects(batched: Bool) throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        if batched { try repository.beginBatch() }
        let signature = Signature(name: "t", email: "t@folio.invalid")
        // Names that exercise git's order: "a.json" sorts before the folder "a" ('.' < '/'), "a-b" and
        // "a0" around it, and a file that later must give way to a folder of the same name.
        let paths = ["a.json", "a/x.json", "a-b/y.json", "a/b/c.json", "a0/z.json", "ab.json", "b/c/d/e.json",
                     "b/c.json", "a/b.json", "z.json", "a/b/c/d.json"]
        var generator = SeededGenerator(seed: batched ? 7 : 11)
        var expected: [String: String] = [:]
        var tip: ObjectID?
        for step in 0..<200 {
            let path = paths.randomElement(using: &generator)!
            var tree = try tip.map { try repository.treeID(ofCommit: $0) }
            if Bool.random(using: &generator) || expected[path] == nil {
                let text = "\(path) at \(step)"
                // A file and a folder cannot share a name: drop whatever the new path runs into.
                for other in expected.keys where other.hasPrefix(path + "/") || path.hasPrefix(other + "/") {
                    tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: other, blob: nil)])
                    expected[other] = nil
                }
                tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: path, blob: try repository.writeBlob(Data(text.utf8)))])
                expected[path] = text
            } else {
                tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: path, blob: nil)])
                expected[path] = nil
            }
            let commit = try repository.createCommit(tree: tree!, parents: tip.map { [$0] } ?? [], author: signature, committer: signature, message: "\(step)\n")
            if step % 20 == 19 {
                try repository.flushBatch()
                try repository.updateReference("refs/heads/main", to: commit, expected: try repository.resolveReference("refs/heads/main"), logMessage: "t")
                try git("-C", repoPath, "fsck", "--strict", "--no-dangling")
                let listing = try git("-C", repoPath, "ls-tree", "-r", "--name-only", "main")
                #expect(listing.split(separator: "\n").map(String.init) == expected.keys.sorted(), "step \(step)")
                for (path, text) in expected {
                    #expect(try git("-C", repoPath, "show", "main:\(path)") == text)
                }
            }
            tip = commit
        }
        // Removing everything leaves the empty tree.
        var tree = try repository.treeID(ofCommit: tip!)
        for path in expected.keys { tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: path, blob: nil)]) }
        #expect(tree.hex == "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
    }
}

/// A small deterministic generator (SplitMix64), so a failure repeats.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
