import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

@Suite struct HistoryDiffRestoreTests {
    @Test func historyIsNewestFirstAndPagesByCursor() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        var commits: [ObjectID] = []
        for index in 1...7 {
            commits.append(try await fixture.store.save(key, content: "version \(index)\n", updatedBy: "user\(index)", message: "v\(index)").commit)
        }
        let first = try fixture.store.history(key, limit: 3)
        #expect(first.revisions.map(\.commit) == Array(commits.reversed().prefix(3)))
        #expect(first.revisions.map(\.author) == ["user7", "user6", "user5"])
        #expect(first.revisions.map(\.message) == ["v7", "v6", "v5"])
        #expect(first.revisions.last?.action == .update)
        let second = try fixture.store.history(key, limit: 3, cursor: first.nextCursor)
        let third = try fixture.store.history(key, limit: 3, cursor: second.nextCursor)
        #expect((first.revisions + second.revisions + third.revisions).map(\.commit) == commits.reversed())
        #expect(third.nextCursor == nil)
        #expect(third.revisions.last?.action == .create && third.revisions.last?.seq == 1)
        // The catalog's history is git's history of the file.
        #expect(try git("-C", fixture.repoPath, "log", "--format=%H", "--", key.path).split(separator: "\n").map(String.init) == commits.reversed().map(\.hex))
        #expect(throws: StoreError.self) { try fixture.store.history(key, cursor: "abc") }
        #expect(throws: StoreError.self) { try fixture.store.history(try fixture.key("p1", .prd, "missing")) }
    }

    @Test func diffComparesContentTextInLineAndWordModesWithMetadataChanges() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let old = try await fixture.store.save(key, content: "# Goals\nShip the beta in May.\nKeep costs low.\n", metadata: ["prd_id": .int(1), "stage": .string("draft")], updatedBy: "ann")
        let new = try await fixture.store.save(key, content: "# Goals\nShip the beta in June.\nKeep costs low.\nHire two engineers.\n", metadata: ["prd_id": .int(1), "owner": .string("bo")], updatedBy: "bo")

        let lines = try fixture.store.diff(key, from: old.commit, to: new.commit)
        #expect(lines.additions == 2 && lines.deletions == 1)
        #expect(lines.text.contains("-Ship the beta in May.\n+Ship the beta in June.\n"))
        #expect(lines.text.contains("+Hire two engineers.\n"))
        #expect(!lines.text.contains("\\n"), "the diff is of the content text, not the JSON envelope")
        #expect(lines.metadataChanges.map(\.key) == ["owner", "stage", "updated_by"])
        #expect(lines.metadataChanges.first { $0.key == "stage" }?.to == nil)

        let words = try fixture.store.diff(key, from: old.commit, mode: .word)
        #expect(words.to == new.commit, "TO defaults to the current version")
        #expect(words.text.contains("Ship the beta in [-May-]{+June+}."))
        #expect(words.segments.contains { $0.op == "delete" && $0.text == "May" })
        // Added: June, Hire, two, engineers and the period; removed: May.
        #expect(words.additions == 5 && words.deletions == 1)

        let none = try fixture.store.diff(key, from: new.commit, to: new.commit)
        #expect(none.text.isEmpty && none.additions == 0 && none.metadataChanges.isEmpty)
        #expect(throws: StoreError.self) { try fixture.store.diff(key, from: ObjectID(hex: "0123456789abcdef0123456789abcdef01234567")!) }
    }

    @Test func restoreMakesANewCommitWithTheOldContentAuthoredByTheRestorer() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let v1 = try await fixture.store.save(key, content: "first", metadata: ["prd_id": .int(5)], updatedBy: "ann")
        _ = try await fixture.store.save(key, content: "second", updatedBy: "bo")
        let restored = try await fixture.store.restore(key, commit: v1.commit, by: "cy")
        #expect(restored.changed && restored.action == .restore && restored.commit != v1.commit)
        let current = try fixture.store.load(key)
        #expect(current.content == "first" && current.metadata["prd_id"] == .int(5) && current.updatedBy == "cy")
        #expect(try fixture.gitLog(key) == ["cy|Restore prd p1/main_prd", "bo|Update prd p1/main_prd", "ann|Create prd p1/main_prd"])
        #expect(try fixture.store.history(key).revisions.map(\.action) == [.restore, .update, .create])
        // Restoring what is already current changes nothing.
        #expect(try await !fixture.store.restore(key, commit: restored.commit, by: "cy").changed)
    }

    @Test func aDeletedFileLeavesTheMirrorAndListingButKeepsHistoryAndCanBeRestored() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let v1 = try await fixture.store.save(key, content: "keep me", updatedBy: "ann")
        #expect(fixture.mirrored(key) != nil)
        let deleted = try await fixture.store.delete(key, by: "bo")
        #expect(deleted.action == .delete)
        #expect(fixture.mirrored(key) == nil)
        #expect(try fixture.store.list(projectID: "p1").isEmpty)
        #expect(throws: StoreError.self) { try fixture.store.load(key) }
        #expect(try git("-C", fixture.repoPath, "ls-tree", "-r", "--name-only", "main").isEmpty)
        #expect(try fixture.store.history(key).revisions.map(\.action) == [.delete, .create])
        await #expect(throws: StoreError.self) { try await fixture.store.delete(key, by: "bo") }

        let back = try await fixture.store.restore(key, commit: v1.commit, by: "cy")
        #expect(back.created && back.action == .restore)
        #expect(try fixture.store.load(key).content == "keep me")
        #expect(fixture.mirrored(key).map { String(decoding: $0, as: UTF8.self) }?.contains("keep me") == true)
        #expect(try fixture.store.list(projectID: "p1").map(\.key) == [key])
    }

    @Test func aStaleBaseIsMergedWhenTheEditsDoNotOverlap() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let base = try await fixture.store.save(key, content: "title\n\nintro\n\nbody\n\nend\n", updatedBy: "ann")
        _ = try await fixture.store.save(key, content: "TITLE\n\nintro\n\nbody\n\nend\n", updatedBy: "bo")
        let merged = try await fixture.store.save(key, content: "title\n\nintro\n\nbody\n\nEND\n", updatedBy: "cy", baseCommit: base.commit)
        #expect(merged.changed && merged.merged)
        #expect(try fixture.store.load(key).content == "TITLE\n\nintro\n\nbody\n\nEND\n")
        // A base that is still current is not a merge.
        let plain = try await fixture.store.save(key, content: "final\n", updatedBy: "cy", baseCommit: merged.commit)
        #expect(plain.changed && !plain.merged)
    }

    @Test func overlappingEditsAgainstAStaleBaseAreRefusedWithTheCurrentVersion() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let base = try await fixture.store.save(key, content: "a\nb\nc\n", updatedBy: "ann")
        let current = try await fixture.store.save(key, content: "a\nB-from-bo\nc\n", updatedBy: "bo")
        let tip = try fixture.gitTip()
        do {
            _ = try await fixture.store.save(key, content: "a\nB-from-cy\nc\n", updatedBy: "cy", baseCommit: base.commit)
            Issue.record("an overlapping edit was accepted")
        } catch let error as StoreError {
            #expect(error.code == .conflict)
            #expect(error.conflict?.currentCommit == current.commit)
            #expect(error.conflict?.currentContent == "a\nB-from-bo\nc\n")
            #expect(error.conflict?.conflictText.contains("<<<<<<< current\nB-from-bo\n=======\nB-from-cy\n>>>>>>> yours") == true)
        }
        #expect(try fixture.gitTip() == tip, "nothing was committed")
        #expect(try fixture.store.history(key).revisions.count == 2)
    }
}
