import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

@Suite struct PackConsolidationTests {
    func packCount(_ fixture: StoreFixture) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: fixture.repoPath + "/objects/pack").filter { $0.hasSuffix(".pack") }.count
    }

    @Test func consolidationWhileSavesGoOnLosesNothing() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        var commits: [ObjectID] = []
        for index in 0..<30 { commits.append(try await fixture.store.save(key, content: "version \(index)", updatedBy: "ann").commit) }
        #expect(try packCount(fixture) == 30, "one pack per group commit")

        let store = fixture.store
        async let report = Task.detached { try store.consolidatePacks() }.value
        var during: [ObjectID] = []
        for index in 0..<20 {
            during.append(try await store.save(try fixture.key("p1", .prd, "other"), content: "during \(index)", updatedBy: "bo").commit)
        }
        let done = try await report
        #expect(done.packsBefore >= 30 && done.objects > 0)
        #expect(try packCount(fixture) <= 21, "the old packs became one; saves made meanwhile keep theirs")

        try git("-C", fixture.repoPath, "fsck", "--strict", "--no-dangling")
        for (index, commit) in commits.enumerated() {
            #expect(try fixture.store.load(key, at: commit).content == "version \(index)")
        }
        let other = try fixture.key("p1", .prd, "other")
        #expect(try fixture.store.history(other, limit: 100).revisions.map(\.commit) == during.reversed())
        // Saves after consolidation still work (the writer reopened its handle).
        let after = try await fixture.store.save(key, content: "after", updatedBy: "cy")
        #expect(try fixture.store.load(key).commit == after.commit)

        let again = try fixture.store.consolidatePacks()
        #expect(try packCount(fixture) == 1 && again.bytesAfter > 0)
        try git("-C", fixture.repoPath, "fsck", "--strict", "--no-dangling")
    }

    @Test func looseObjectsFromUnbatchedWritesAreConsolidatedToo() async throws {
        let fixture = try StoreFixture { $0.packedWrites = false; $0.maxBatch = 1 }
        for index in 0..<5 { _ = try await fixture.store.save(try fixture.key(), content: "v\(index)", updatedBy: "ann") }
        let report = try fixture.store.consolidatePacks()
        #expect(report.looseObjectsBefore >= 5 * 5 && report.packsBefore == 0)
        #expect(try git("-C", fixture.repoPath, "count-objects", "-v").contains("count: 0\n"))
        #expect(try packCount(fixture) == 1)
        try git("-C", fixture.repoPath, "fsck", "--strict")
    }

    @Test func backgroundRepacksLeaveTheLargestPackAlone() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let big = String(repeating: "A long paragraph of planning text. ", count: 400)
        for index in 0..<20 { _ = try await fixture.store.save(key, content: big + "\(index)", updatedBy: "ann") }
        _ = try fixture.store.consolidatePacks()
        let base = try Repository.open(at: fixture.repoPath).packFiles()
        #expect(base.count == 1)
        for index in 0..<5 { _ = try await fixture.store.save(key, content: "small \(index)", updatedBy: "bo") }

        let result = try Repository.open(at: fixture.repoPath).consolidatePacks(full: false)
        let after = try Repository.open(at: fixture.repoPath).packFiles().map(\.name)
        #expect(result.packsBefore == 6 && after.count == 2, "five small packs became one")
        #expect(after.contains(base[0].name), "the large pack was not rewritten")
        try git("-C", fixture.repoPath, "fsck", "--strict", "--no-dangling")
        #expect(try fixture.store.history(key).revisions.count == 25)
    }

    @Test func aRunningStoreKeepsThePackCountBounded() async throws {
        let fixture = try StoreFixture(background: true) { $0.maxPacks = 8 }
        for index in 0..<40 { _ = try await fixture.store.save(try fixture.key(), content: "v\(index)", updatedBy: "ann") }
        // Consolidation runs on its own thread: wait (bounded) for it to finish the last round.
        _ = try await eventually(timeout: .seconds(5), interval: .milliseconds(50)) { try packCount(fixture) <= 9 }
        let count = try packCount(fixture)
        #expect(count <= 9, "never far above the threshold (\(count) packs)")
        #expect(try fixture.store.history(try fixture.key(), limit: 100).revisions.count == 40)
        // Stop the background consolidation first: fsck reading packs while a round removes them reports
        // a pack whose index vanished under it, a race of the check, not damage.
        fixture.store.close()
        try git("-C", fixture.repoPath, "fsck", "--strict")
    }
}
