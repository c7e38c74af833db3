import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Testing

@Suite struct SaveAndLoadTests {
    @Test func aSaveIsACommitAuthoredByTheSaverThatGitAgreesWith() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let first = try await fixture.store.save(key, content: "# PRD\n\nGoals\n", metadata: ["prd_id": .int(123), "prd_name": .string("Main PRD")], updatedBy: "john_doe")
        let second = try await fixture.store.save(key, content: "# PRD\n\nGoals and scope\n", metadata: ["prd_id": .int(123)], updatedBy: "jane", message: "Add scope")
        #expect(first.changed && first.created && first.action == .create)
        #expect(second.changed && !second.created && second.action == .update)

        #expect(try fixture.gitLog(key) == ["jane|Update prd p1/main_prd", "john_doe|Create prd p1/main_prd"])
        let envelope = try git("-C", fixture.repoPath, "show", "\(first.commit):\(key.path)")
        #expect(envelope == ##"{"content": "# PRD\n\nGoals\n", "metadata": {"prd_id": 123, "prd_name": "Main PRD", "updated_by": "john_doe"}, "type": "prd"}"##)
        #expect(try git("-C", fixture.repoPath, "log", "-1", "--format=%ae|%cn|%b", second.commit.hex)
                == "jane@users.folio.invalid|Folio|Add scope\n\nFolio-Key: p1/prd/main_prd.json\nFolio-Action: update\n\n")
        try git("-C", fixture.repoPath, "fsck", "--strict")

        let loaded = try fixture.store.load(key)
        #expect(loaded.content == "# PRD\n\nGoals and scope\n")
        #expect(loaded.commit == second.commit && loaded.source == .git && loaded.updatedBy == "jane")
        #expect(loaded.metadata["prd_id"] == .int(123))
        #expect(try fixture.store.load(key, at: first.commit).content == "# PRD\n\nGoals\n")
        #expect(try fixture.store.load(key, at: fixture.store.commitID(String(first.commit.hex.prefix(10)), field: "at")).content == "# PRD\n\nGoals\n")
        // The mirror holds exactly the committed bytes of the current version.
        #expect(fixture.mirrored(key) == Data(try git("-C", fixture.repoPath, "show", "main:\(key.path)").utf8))
    }

    @Test func savingTwiceWithSameContentMakesNoCommit() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let first = try await fixture.store.save(key, content: "same", metadata: ["a": .int(1)], updatedBy: "ann")
        let again = try await fixture.store.save(key, content: "same", metadata: ["a": .int(1)], updatedBy: "ann")
        #expect(!again.changed && again.commit == first.commit && again.action == nil)
        #expect(try fixture.gitLog(key).count == 1)
        #expect(try fixture.store.history(key).revisions.count == 1)
        // A metadata change is a change.
        let changed = try await fixture.store.save(key, content: "same", metadata: ["a": .int(2)], updatedBy: "ann")
        #expect(changed.changed)
    }

    @Test func filesListByProjectAndType() async throws {
        let fixture = try StoreFixture()
        _ = try await fixture.store.save(projectID: "p1", type: .prd, content: "a", updatedBy: "u")
        _ = try await fixture.store.save(projectID: "p1", type: .prd, name: "second", content: "b", updatedBy: "u")
        _ = try await fixture.store.save(projectID: "p1", type: .implementation, content: "c", updatedBy: "u")
        _ = try await fixture.store.save(projectID: "p2", type: .prd, content: "d", updatedBy: "u")
        #expect(try fixture.store.list(projectID: "p1").map(\.key.path) == [
            "p1/implementation/implementation_plan.json", "p1/prd/main_prd.json", "p1/prd/second.json",
        ])
        #expect(try fixture.store.list(projectID: "p1", type: .prd).map(\.key.name) == ["main_prd", "second"])
        #expect(try fixture.store.list(projectID: "nobody").isEmpty)
    }

    @Test func legacyContentLoadsFromTheDatabaseUntilItsFirstSaveMovesItIntoGit() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key("legacy1", .implementation, "implementation_plan")
        try fixture.store.importLegacy(key, content: "old plan", metadata: ["prd_id": .int(7)], updatedBy: "old_user")
        let legacy = try fixture.store.load(key)
        #expect(legacy.source == .database && legacy.content == "old plan" && legacy.commit == nil)
        #expect(legacy.metadata["prd_id"] == .int(7))
        #expect(try fixture.gitTip() == nil, "importing writes nothing to git")
        #expect(try fixture.store.list(projectID: "legacy1").map(\.key) == [key])

        let saved = try await fixture.store.save(key, content: "new plan", updatedBy: "new_user")
        #expect(saved.created)
        let moved = try fixture.store.load(key)
        #expect(moved.source == .git && moved.content == "new plan" && moved.commit == saved.commit)
        #expect(try fixture.gitLog(key) == ["new_user|Create prd legacy1/implementation_plan".replacingOccurrences(of: "prd", with: "implementation")])
    }

    @Test func loadFallsBackToTheMirrorWhenGitCannotServeTheFile() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        _ = try await fixture.store.save(key, content: "kept in the mirror", updatedBy: "u")
        #expect(fixture.mirrored(key) != nil)
        // Simulate a damaged repository: the pack holding the blob is gone.
        let packs = fixture.repoPath + "/objects/pack"
        for file in try FileManager.default.contentsOfDirectory(atPath: packs) {
            try FileManager.default.removeItem(atPath: packs + "/" + file)
        }
        try fixture.reopen()
        let loaded = try fixture.store.load(key)
        #expect(loaded.source == .mirror)
        #expect(loaded.content == "kept in the mirror")
    }
}
