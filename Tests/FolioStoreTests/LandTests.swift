import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

/// Pushed commits landed on the branch as saves (`DocumentStore.land`, what a push to refs/for/main
/// does): bytes kept where nothing moved, merged where the API saved meanwhile, stopped at a conflict,
/// and recorded exactly as a reindex would record them.
@Suite struct LandTests {
    /// A clone of the fixture's repository with a committer set up.
    private func clone(_ fixture: StoreFixture) throws -> String {
        let path = fixture.folder.child("clone-\(UUID().uuidString.prefix(8))")
        _ = try git("clone", "-q", fixture.repoPath, path)
        _ = try git("-C", path, "config", "user.name", "Pat Pusher")
        _ = try git("-C", path, "config", "user.email", "pat@example.com")
        return path
    }

    private func write(_ clone: String, _ path: String, _ content: String, metadata: String = "{}") throws {
        let type = path.split(separator: "/")[1]
        let full = clone + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let text = "{\"content\": \(String(decoding: try JSONEncoder().encode(content), as: UTF8.self)), \"metadata\": \(metadata), \"type\": \"\(type)\"}"
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// Commits what the clone holds and pushes it to a side ref, as git would before the hook lands it.
    private func commitAndPush(_ clone: String, _ message: String) throws -> ObjectID {
        _ = try git("-C", clone, "add", "-A")
        _ = try git("-C", clone, "commit", "-qm", message)
        _ = try git("-C", clone, "push", "-q", "-f", "origin", "HEAD:refs/for/main")
        return ObjectID(hex: try git("-C", clone, "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    @Test func landedCommitsKeepPushedBytesOrMergeWithNewerSaves() async throws {
        let fixture = try StoreFixture()
        let shared = try fixture.key("p1", .prd, "shared")
        _ = try await fixture.store.save(shared, content: "one\ntwo\nthree\n", updatedBy: "api")
        let clone = try clone(fixture)
        try write(clone, "p1/prd/shared.json", "one\ntwo\nthree\nfour from the push\n")
        try write(clone, "p1/implementation/plan.json", "a plan\n", metadata: #"{"owner": "pat"}"#)
        let first = try commitAndPush(clone, "Edit and add")
        _ = try git("-C", clone, "rm", "-q", "p1/implementation/plan.json")
        try write(clone, "p1/prd/second.json", "second\n")
        let second = try commitAndPush(clone, "Swap the plan for a PRD")
        // Meanwhile the API changes the shared file's first line.
        _ = try await fixture.store.save(shared, content: "ONE\ntwo\nthree\n", updatedBy: "api")

        let landings = try await fixture.store.land(second)
        #expect(landings.map(\.pushed) == [first, second])
        #expect(landings.allSatisfy { $0.refusal == nil && $0.landed != nil })
        #expect(try fixture.gitTip() == landings.last?.landed?.hex)
        // Merged: both edits, authored by the pusher.
        #expect(try fixture.store.load(shared).content == "ONE\ntwo\nthree\nfour from the push\n")
        #expect(try fixture.store.history(shared).revisions.map(\.author) == ["Pat Pusher", "api", "api"])
        // Not merged: the pushed bytes, byte for byte.
        let plan = try fixture.key("p1", .implementation, "plan")
        let pushedPlan = try git("-C", clone, "rev-parse", "\(first.hex):p1/implementation/plan.json").trimmingCharacters(in: .whitespacesAndNewlines)
        let landedPlan = try git("-C", fixture.repoPath, "rev-parse", "\(landings[0].landed!.hex):p1/implementation/plan.json")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(landedPlan == pushedPlan)
        #expect(try fixture.store.history(plan).revisions.map(\.action) == [.delete, .create])
        #expect(try fixture.store.list(projectID: "p1").map(\.key.name) == ["second", "shared"])
        // The landed commits carry the pushed author date and message.
        let authorDate = try git("-C", fixture.repoPath, "log", "-1", "--format=%at|%an|%B", landings[0].landed!.hex)
        let pushedDate = try git("-C", clone, "log", "-1", "--format=%at", first.hex).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(authorDate.hasPrefix("\(pushedDate)|Pat Pusher|") && authorDate.contains("Edit and add"))

        // The catalog the landings wrote is the one git alone gives.
        func rows() throws -> [String] {
            try ["p1"].flatMap { try fixture.store.list(projectID: $0).map { "\($0)" } }
                + [shared, plan, try fixture.key("p1", .prd, "second")].flatMap { try fixture.store.history($0).revisions.map { "\($0)" } }
        }
        let landed = try rows()
        try fixture.store.reindex()
        #expect(try rows() == landed)
    }

    @Test func anOverlappingEditStopsTheLandingThere() async throws {
        let fixture = try StoreFixture()
        let shared = try fixture.key("p1", .prd, "shared")
        _ = try await fixture.store.save(shared, content: "line\n", updatedBy: "api")
        let clone = try clone(fixture)
        try write(clone, "p1/prd/shared.json", "line from the push\n")
        let first = try commitAndPush(clone, "Overlapping")
        try write(clone, "p1/prd/later.json", "later\n")
        let second = try commitAndPush(clone, "Later")
        let saved = try await fixture.store.save(shared, content: "line from the API\n", updatedBy: "api")

        let landings = try await fixture.store.land(second)
        #expect(landings.map(\.pushed) == [first, second])
        #expect(landings[0].refusal?.code == .conflict && landings[0].landed == nil)
        #expect(landings[1].refusal != nil && landings[1].landed == nil, "a commit after a refused one is not tried")
        #expect(try fixture.gitTip() == saved.commit.hex, "nothing of the refused landing reached the branch")
        #expect(try fixture.store.load(shared).content == "line from the API\n")
    }

    @Test func aPushedDeleteOfAFileDeletedMeanwhileLandsAsNothing() async throws {
        let fixture = try StoreFixture()
        let doomed = try fixture.key("p1", .prd, "doomed")
        _ = try await fixture.store.save(doomed, content: "x\n", updatedBy: "api")
        let clone = try clone(fixture)
        _ = try git("-C", clone, "rm", "-q", "p1/prd/doomed.json")
        let pushed = try commitAndPush(clone, "Remove it")
        let deleted = try await fixture.store.delete(doomed, by: "api")

        let landings = try await fixture.store.land(pushed)
        #expect(landings.count == 1 && landings[0].refusal == nil && landings[0].landed == nil)
        #expect(try fixture.gitTip() == deleted.commit.hex)
    }

    @Test func aPushedDeleteOfAFileSavedMeanwhileDoesNotLand() async throws {
        let fixture = try StoreFixture()
        let kept = try fixture.key("p1", .prd, "kept")
        _ = try await fixture.store.save(kept, content: "x\n", updatedBy: "api")
        let clone = try clone(fixture)
        _ = try git("-C", clone, "rm", "-q", "p1/prd/kept.json")
        let pushed = try commitAndPush(clone, "Remove it")
        let saved = try await fixture.store.save(kept, content: "important edit\n", updatedBy: "api")

        let landings = try await fixture.store.land(pushed)
        #expect(landings.count == 1 && landings[0].refusal?.code == .conflict && landings[0].landed == nil)
        #expect(try fixture.gitTip() == saved.commit.hex)
        #expect(try fixture.store.load(kept).content == "important edit\n")
    }

    @Test func aRootCommitDoesNotReplaceAFileTheBranchHas() async throws {
        let fixture = try StoreFixture()
        let shared = try fixture.key("p1", .prd, "shared")
        let saved = try await fixture.store.save(shared, content: "on the branch\n", updatedBy: "api")
        // A repository started elsewhere: its first commit has no parent to merge from.
        let other = fixture.folder.child("unrelated")
        _ = try git("init", "-q", "-b", "main", other)
        _ = try git("-C", other, "config", "user.name", "Pat Pusher")
        _ = try git("-C", other, "config", "user.email", "pat@example.com")
        _ = try git("-C", other, "remote", "add", "origin", fixture.repoPath)
        try write(other, "p1/prd/shared.json", "from elsewhere\n")
        let pushed = try commitAndPush(other, "Unrelated start")

        let landings = try await fixture.store.land(pushed)
        #expect(landings.count == 1 && landings[0].refusal?.code == .conflict)
        #expect(try fixture.gitTip() == saved.commit.hex)
    }
}
