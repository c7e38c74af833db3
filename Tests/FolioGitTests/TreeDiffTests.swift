import FolioGit
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

/// The raw-tree diff that ingest reads every commit with, against `git diff-tree`.
@Suite struct TreeDiffTests {
    let folder = TemporaryDirectory("tree-diff")

    @Test func randomTreesDifferExactlyAsGitSays() throws {
        let repoPath = folder.child("repo.git")
        let repository = try Repository.openOrCreateBare(at: repoPath)
        // Names around git's order rules, files that become folders and back, whole folders removed.
        let paths = ["a.json", "a/x.json", "a-b/y.json", "a/b/c.json", "a0/z.json", "ab.json", "b/c/d/e.json",
                     "b/c.json", "a/b.json", "z.json", "a/b/c/d.json", "p1/prd/main_prd.json", "p1/implementation/plan.json"]
        var generator = SeededGenerator(seed: 23)
        var files: [String: String] = [:]
        var trees: [ObjectID?] = [nil]
        var tree: ObjectID?
        for step in 0..<150 {
            // Several changes per step, so one diff sees adds, deletes and modifications together.
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let path = paths.randomElement(using: &generator)!
                if Bool.random(using: &generator) || files[path] == nil {
                    for other in files.keys where other.hasPrefix(path + "/") || path.hasPrefix(other + "/") {
                        tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: other, blob: nil)])
                        files[other] = nil
                    }
                    let text = "\(path) at \(step)"
                    tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: path, blob: try repository.writeBlob(Data(text.utf8)))])
                    files[path] = text
                } else {
                    tree = try repository.updatedTree(base: tree, changes: [TreeChange(path: path, blob: nil)])
                    files[path] = nil
                }
            }
            trees.append(tree)
        }
        // Every pair of neighbours, and some far apart.
        var pairs = zip(trees.dropLast(), trees.dropFirst()).map { ($0, $1) }
        for _ in 0..<30 { pairs.append((trees.randomElement(using: &generator)!, trees.randomElement(using: &generator)!)) }
        let empty = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  // git's built-in empty tree
        for (old, new) in pairs {
            guard let new else { continue }
            let ours = try repository.changes(from: old, to: new).map { change in
                let status = change.oldBlob == nil ? "A" : change.newBlob == nil ? "D" : "M"
                return "\(status)\t\(change.path)"
            }
            let theirs = try git("-C", repoPath, "diff-tree", "-r", "--no-renames", "--name-status", old?.hex ?? empty, new.hex)
                .split(separator: "\n").map(String.init)
            #expect(ours == theirs, "\(old?.hex ?? "empty") → \(new.hex)")
        }
    }

    /// Wide folders, as a store with many projects and files has: the diff skips the bytes both versions
    /// share at each end, so changes at the first and last entry, names that extend one another and
    /// several changes in one folder are checked against git.
    @Test func wideFoldersDifferExactlyAsGitSays() throws {
        let repoPath = folder.child("wide.git")
        let repository = try Repository.openOrCreateBare(at: repoPath)
        var names = (0..<120).map { String(format: "n%03d", $0) }
        names += ["n", "n0", "n00", "n000.json", "n0000", "a", "zz", "n050x", "n05"]
        var generator = SeededGenerator(seed: 7)
        var trees: [ObjectID] = []
        var files: Set<String> = []
        var tree: ObjectID?
        var changes: [TreeChange] = []
        for name in names.prefix(120) { changes.append(TreeChange(path: "\(name)/prd/f.json", blob: try repository.writeBlob(Data(name.utf8)))) }
        tree = try repository.updatedTree(base: tree, changes: changes)
        files = Set(names.prefix(120).map { "\($0)/prd/f.json" })
        trees.append(tree!)
        for step in 0..<120 {
            var changes: [TreeChange] = []
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let name = names.randomElement(using: &generator)!
                // Either a file in the folder (a folder entry at the root) or a file at the root itself.
                let path = Bool.random(using: &generator) ? "\(name)/prd/f.json" : "\(name).json"
                if files.contains(path) && Int.random(in: 0..<3, using: &generator) == 0 {
                    changes.append(TreeChange(path: path, blob: nil))
                    files.remove(path)
                } else {
                    changes.append(TreeChange(path: path, blob: try repository.writeBlob(Data("\(path) \(step)".utf8))))
                    files.insert(path)
                }
            }
            tree = try repository.updatedTree(base: tree, changes: changes)
            trees.append(tree!)
        }
        for (old, new) in zip(trees.dropLast(), trees.dropFirst()) {
            let ours = try repository.changes(from: old, to: new).map { change in
                "\(change.oldBlob == nil ? "A" : change.newBlob == nil ? "D" : "M")\t\(change.path)"
            }
            let theirs = try git("-C", repoPath, "diff-tree", "-r", "--no-renames", "--name-status", old.hex, new.hex)
                .split(separator: "\n").map(String.init)
            #expect(ours == theirs, "\(old.hex) → \(new.hex)")
        }
    }
}
