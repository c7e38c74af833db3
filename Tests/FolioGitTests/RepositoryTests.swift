import FolioGit
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

@Suite struct RepositoryTests {
    let folder = TemporaryDirectory("git")
    var repoPath: String { folder.child("repo.git") }

    let alice = Signature(name: "alice", email: "alice@users.folio.invalid")
    let service = Signature(name: "Folio", email: "folio@folio.invalid")

    /// Commits `files` (path → text; nil removes) on top of `main` and moves the branch.
    func commit(_ repository: Repository, _ files: [String: String?], author: Signature, message: String) throws -> ObjectID {
        let tip = try repository.resolveReference("refs/heads/main")
        var changes: [TreeChange] = []
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            changes.append(TreeChange(path: path, blob: try text.map { try repository.writeBlob(Data($0.utf8)) }))
        }
        let tree = try repository.updatedTree(base: try tip.map { try repository.treeID(ofCommit: $0) }, changes: changes)
        let id = try repository.createCommit(tree: tree, parents: tip.map { [$0] } ?? [], author: author, committer: service, message: message)
        try repository.flushBatch()
        try repository.updateReference("refs/heads/main", to: id, expected: tip, logMessage: "test")
        return id
    }

    @Test func createsABareRepositoryWhoseHeadIsMain() throws {
        _ = try Repository.openOrCreateBare(at: repoPath)
        #expect(try git("-C", repoPath, "rev-parse", "--is-bare-repository").trimmingCharacters(in: .whitespacesAndNewlines) == "true")
        #expect(try git("-C", repoPath, "symbolic-ref", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines) == "refs/heads/main")
        // Opening again is idempotent and finds an empty branch.
        #expect(try Repository.openOrCreateBare(at: repoPath).resolveReference("refs/heads/main") == nil)
    }

    @Test(arguments: [false, true])
    func commitsAtNestedPathsAreWhatGitReads(batched: Bool) throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        if batched { try repository.beginBatch() }
        let first = try commit(repository, ["p1/prd/main_prd.json": "{\"content\": \"one\"}"], author: alice, message: "Create prd p1/main_prd\n")
        let bob = Signature(name: "bob", email: "bob@example.com")
        let second = try commit(repository, ["p1/prd/main_prd.json": "{\"content\": \"two\"}", "p1/implementation/implementation_plan.json": "plan"], author: bob, message: "Update\n")

        #expect(try git("-C", repoPath, "show", "\(first.hex):p1/prd/main_prd.json") == "{\"content\": \"one\"}")
        #expect(try git("-C", repoPath, "show", "main:p1/prd/main_prd.json") == "{\"content\": \"two\"}")
        #expect(try git("-C", repoPath, "log", "--format=%an|%ae|%cn|%s", "--", "p1/prd/main_prd.json")
                == "bob|bob@example.com|Folio|Update\nalice|alice@users.folio.invalid|Folio|Create prd p1/main_prd\n")
        #expect(try git("-C", repoPath, "rev-parse", "main").trimmingCharacters(in: .newlines) == second.hex)
        try git("-C", repoPath, "fsck", "--strict", "--no-dangling")
        let packs = try FileManager.default.contentsOfDirectory(atPath: repoPath + "/objects/pack").filter { $0.hasSuffix(".pack") }
        #expect(batched ? packs.count == 2 : packs.isEmpty, "batched writes go to one pack per flush, unbatched ones stay loose")
    }

    /// In a batch the commit is formatted by Folio rather than by libgit2: the ids must be the ones
    /// libgit2 gives the same commit outside a batch, whatever the signatures hold.
    @Test func commitsFormattedInABatchAreByteForByteLibgit2s() throws {
        let plain = try Repository.openOrCreateBare(at: repoPath)
        let batched = try Repository.open(at: repoPath)
        try batched.beginBatch()
        let tree = try plain.updatedTree(base: nil, changes: [TreeChange(path: "p/prd/a.json", blob: try plain.writeBlob(Data("a".utf8)))])
        let parent = try plain.createCommit(tree: tree, parents: [], author: alice, committer: service, message: "first\n")
        let when = Date(timeIntervalSince1970: 1_700_000_123)
        let signatures = [
            Signature(name: "  Ünïcode Näme ", email: " u@example.com\t", time: when, offsetMinutes: 0),
            Signature(name: "east", email: "e@example.com", time: when, offsetMinutes: 330),
            Signature(name: "west", email: "w@example.com", time: when, offsetMinutes: -570),
            Signature(name: "early", email: "x@example.com", time: Date(timeIntervalSince1970: 5), offsetMinutes: -5),
        ]
        let messages = ["Update prd p/a\n\nwith a body\n\nFolio-Token: ci\n", "", "no newline at the end", "emoji 🗂️ and\r\nCRLF\n"]
        for (signature, message) in zip(signatures, messages) {
            for parents in [[], [parent], [parent, parent]] {
                let expected = try plain.createCommit(tree: tree, parents: parents, author: signature, committer: service, message: message)
                let made = try batched.createCommit(tree: tree, parents: parents, author: signature, committer: service, message: message)
                #expect(made == expected, "\(signature.name) with \(parents.count) parent(s), message \(message.debugDescription)")
            }
        }
        #expect(throws: GitError.self) { try batched.createCommit(tree: tree, parents: [], author: alice, committer: service, message: "a\0b") }
    }

    /// Trees in a batch are hashed with OpenSSL's SHA-1, not libgit2's: git must compute the same ids.
    @Test func treesHashedInABatchHaveTheIdsGitComputes() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        try repository.beginBatch()
        var changes = (0..<300).map { TreeChange(path: "p\($0 % 3)/prd/file-\($0).json", blob: try! repository.writeBlob(Data("f\($0)".utf8))) }
        changes.append(TreeChange(path: "p0/implementation/implementation_plan.json", blob: try repository.writeBlob(Data("plan".utf8))))
        let tree = try repository.updatedTree(base: nil, changes: changes)
        let emptied = try repository.updatedTree(base: nil, changes: [])
        try repository.flushBatch()
        for id in [tree, emptied] {
            let raw = try runCommand("/usr/bin/env", ["git", "-C", repoPath, "cat-file", "tree", id.hex])
            #expect(raw.status == 0, "\(raw.stderr)")
            let rehashed = try runCommand("/usr/bin/env", ["git", "hash-object", "-t", "tree", "--stdin"], input: raw.stdoutData)
            #expect(rehashed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id.hex)
        }
        try git("-C", repoPath, "fsck", "--strict")
    }

    /// Object ids in one pack, read by git's own `show-index`.
    func objectsInPack(containing commit: ObjectID) throws -> Set<String> {
        let folder = repoPath + "/objects/pack"
        for index in try FileManager.default.contentsOfDirectory(atPath: folder) where index.hasSuffix(".idx") {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + index))
            let listing = try runCommand("/usr/bin/env", ["git", "show-index"], input: data)
            #expect(listing.status == 0, "git show-index: \(listing.stderr)")
            let ids = Set(listing.stdout.split(separator: "\n").map { String($0.split(separator: " ")[1]) })
            if ids.contains(commit.hex) { return ids }
        }
        return []
    }

    @Test func aBatchPackHoldsOnlyTheObjectsItsCommitsCreated() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        try repository.beginBatch()
        var files: [String: String?] = [:]
        for index in 0..<50 { files["p/prd/doc\(index).json"] = "text \(index)" }
        files["q/prd/only.json"] = "alone"
        _ = try commit(repository, files, author: alice, message: "fill\n")

        // An update writes its blob, the three trees on its path and the commit — not the other 50 files.
        let update = try commit(repository, ["p/prd/doc7.json": "changed"], author: alice, message: "update\n")
        let tree = try repository.treeID(ofCommit: update)
        let expected: Set<String> = [
            update.hex, tree.hex,
            try git("-C", repoPath, "rev-parse", "\(update.hex):p").trimmingCharacters(in: .newlines),
            try git("-C", repoPath, "rev-parse", "\(update.hex):p/prd").trimmingCharacters(in: .newlines),
            try git("-C", repoPath, "rev-parse", "\(update.hex):p/prd/doc7.json").trimmingCharacters(in: .newlines),
        ]
        #expect(try objectsInPack(containing: update) == expected)

        // Removing the only file of a folder removes the folder: the pack holds the root tree and the commit.
        let removal = try commit(repository, ["q/prd/only.json": nil], author: alice, message: "remove\n")
        #expect(try objectsInPack(containing: removal) == [removal.hex, try repository.treeID(ofCommit: removal).hex])

        // The same handle reads what it flushed (the in-memory copies are gone), and git agrees.
        #expect(try repository.readFile(at: "p/prd/doc7.json", inCommit: update) == Data("changed".utf8))
        #expect(try repository.readFile(at: "q/prd/only.json", inCommit: removal) == nil)
        try git("-C", repoPath, "fsck", "--strict", "--no-dangling")
    }

    @Test func readsAFileAtAnyCommitAndListsTrees() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        let first = try commit(repository, ["a/prd/x.json": "1", "a/prd/y.json": "y"], author: alice, message: "one\n")
        let second = try commit(repository, ["a/prd/x.json": "2", "a/prd/y.json": nil, "b/implementation/z.json": "z"], author: alice, message: "two\n")
        #expect(try repository.readFile(at: "a/prd/x.json", inCommit: first) == Data("1".utf8))
        #expect(try repository.readFile(at: "a/prd/x.json", inCommit: second) == Data("2".utf8))
        #expect(try repository.readFile(at: "a/prd/y.json", inCommit: second) == nil)
        #expect(try repository.listFiles(inCommit: second).map(\.path) == ["a/prd/x.json", "b/implementation/z.json"])
        #expect(try repository.listFiles(inCommit: first, under: "a/prd").map(\.path) == ["a/prd/x.json", "a/prd/y.json"])
        #expect(try repository.listFiles(inCommit: first, under: "nope").isEmpty)

        let changes = try repository.changes(in: second).sorted { $0.path < $1.path }
        #expect(changes.map(\.path) == ["a/prd/x.json", "a/prd/y.json", "b/implementation/z.json"])
        #expect(changes[1].newBlob == nil && changes[1].oldBlob != nil)
        #expect(changes[2].oldBlob == nil && changes[2].newBlob != nil)
        #expect(try repository.firstParentChain(from: second, stoppingAt: nil) == [first, second])
        #expect(try repository.firstParentChain(from: second, stoppingAt: first) == [second])
        #expect(try repository.isAncestor(first, of: second))
        #expect(try !repository.isAncestor(second, of: first))
    }

    @Test func aStaleCompareAndSwapIsRefusedAndLeavesTheBranch() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        let first = try commit(repository, ["k/prd/a.json": "1"], author: alice, message: "one\n")
        let second = try commit(repository, ["k/prd/a.json": "2"], author: alice, message: "two\n")
        let error = #expect(throws: GitError.self) {
            try repository.updateReference("refs/heads/main", to: first, expected: first, logMessage: "stale")
        }
        #expect(error?.code == .modified)
        #expect(try repository.resolveReference("refs/heads/main") == second)
        // Creating a branch that exists is refused too.
        #expect(throws: GitError.self) { try repository.updateReference("refs/heads/main", to: first, expected: nil, logMessage: "x") }
    }

    @Test func commitMessagesKeepTheirTrailers() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        let id = try commit(repository, ["k/prd/a.json": "1"], author: alice, message: "Create prd k/a\n\nwhy\n\nFolio-Key: k/prd/a.json\nFolio-Action: create\n")
        let info = try repository.commit(id)
        #expect(info.author.name == "alice")
        #expect(info.trailer("Folio-Key") == "k/prd/a.json")
        #expect(info.trailer("folio-action") == "create")
        #expect(try git("-C", repoPath, "log", "-1", "--format=%(trailers:key=Folio-Action,valueonly)").trimmingCharacters(in: .whitespacesAndNewlines) == "create")
    }

    @Test func abbreviatedIdsExpandAndUnknownOnesAreNotFound() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        let id = try commit(repository, ["k/prd/a.json": "1"], author: alice, message: "one\n")
        #expect(try repository.expandID(String(id.hex.prefix(8))) == id)
        #expect(throws: GitError.self) { try repository.expandID("deadbeefdeadbeef") }
        #expect(throws: GitError.self) { try repository.expandID("not-hex") }
    }

    /// The first-parent line a catch-up ingests, against `git rev-list --first-parent`: from the root,
    /// from a commit on the line, and from one reachable only through a merge's second parent (where
    /// hiding it also hides the first-parent commits below the merge).
    @Test func firstParentChainsMatchGit() throws {
        let repository = try Repository.openOrCreateBare(at: repoPath)
        let c1 = try commit(repository, ["k/prd/a.json": "1"], author: alice, message: "one\n")
        let c2 = try commit(repository, ["k/prd/a.json": "2"], author: alice, message: "two\n")
        let sideTree = try repository.updatedTree(
            base: try repository.treeID(ofCommit: c1), changes: [TreeChange(path: "k/prd/b.json", blob: try repository.writeBlob(Data("b".utf8)))])
        let side = try repository.createCommit(tree: sideTree, parents: [c1], author: alice, committer: service, message: "side\n")
        let merge = try repository.createCommit(
            tree: try repository.treeID(ofCommit: c2), parents: [c2, side], author: alice, committer: service, message: "merge\n")
        try repository.flushBatch()
        try repository.updateReference("refs/heads/main", to: merge, expected: c2, logMessage: "test")
        let c3 = try commit(repository, ["k/prd/a.json": "3"], author: alice, message: "three\n")
        for stop in [nil, c1, c2, merge, side] as [ObjectID?] {
            let ours = try repository.firstParentChain(from: c3, stoppingAt: stop).map(\.hex)
            var arguments = ["-C", repoPath, "rev-list", "--first-parent", "--reverse", c3.hex]
            if let stop { arguments.append("^" + stop.hex) }
            let theirs = try git(arguments: arguments).split(separator: "\n").map(String.init)
            #expect(ours == theirs, "stopping at \(stop?.hex ?? "nothing")")
        }
        #expect(try repository.firstParentChain(from: c3, stoppingAt: side) == [c2, merge, c3])
    }
}
