import FolioStore
import FolioSupport
import Foundation
import Testing

@Suite struct BlameTests {
    @Test func eachLineNamesTheRevisionThatLastChangedIt() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let first = try await fixture.store.save(key, content: "# Goals\nfast\nsafe\n", updatedBy: "alice").commit
        let second = try await fixture.store.save(key, content: "# Goals\nfast\nsafe\npleasant\n", updatedBy: "bob").commit
        let third = try await fixture.store.save(key, content: "# Goals\nvery fast\nsafe\npleasant\n", updatedBy: "carol").commit

        let blame = try fixture.store.blame(key)
        #expect(blame.commit == third)
        #expect(blame.lines.map(\.text) == ["# Goals", "very fast", "safe", "pleasant"])
        #expect(blame.lines.map(\.revision.author) == ["alice", "carol", "alice", "bob"])
        #expect(blame.lines.map(\.revision.commit) == [first, third, first, second])
        #expect(blame.lines.map(\.line) == [1, 2, 3, 4])

        let older = try fixture.store.blame(key, at: second)
        #expect(older.lines.map(\.revision.author) == ["alice", "alice", "alice", "bob"])
    }

    @Test func theWalkStopsOnceEveryLineIsAttributed() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        _ = try await fixture.store.save(key, content: "old\n", updatedBy: "alice")
        for index in 1...20 { _ = try await fixture.store.save(key, content: "old\nline \(index)\n", updatedBy: "bob") }
        _ = try await fixture.store.save(key, content: "new\n", updatedBy: "carol")
        let blame = try fixture.store.blame(key)
        #expect(blame.lines.map(\.revision.author) == ["carol"])
        #expect(blame.versionsRead == 2, "one diff attributes the single line")
    }

    @Test func linesBroughtBackByARestoreOfADeletedFileAreTheRestorers() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let saved = try await fixture.store.save(key, content: "a\nb\n", updatedBy: "alice").commit
        let deleted = try await fixture.store.delete(key, by: "bob").commit
        _ = try await fixture.store.restore(key, commit: saved, by: "carol")
        #expect(try fixture.store.blame(key).lines.map(\.revision.author) == ["carol", "carol"])
        #expect(throws: StoreError.self) { try fixture.store.blame(key, at: deleted) }
    }

    @Test func aCommitThatDidNotChangeTheFileIsRefusedClearly() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key(), other = try fixture.key("p1", .prd, "other")
        _ = try await fixture.store.save(key, content: "a\n", updatedBy: "alice")
        let unrelated = try await fixture.store.save(other, content: "b\n", updatedBy: "bob").commit
        let error = try #require(throws: StoreError.self) { try fixture.store.blame(key, at: unrelated) }
        #expect(error.code == .notFound && error.message.contains("did not change"))
        #expect(throws: StoreError.self) { try fixture.store.blame(try fixture.key("p1", .prd, "missing")) }
    }

    @Test func lineComparisonCoversEveryLineInBlocks() {
        let comparison = LineComparison.between("a\nb\nc\nd\ne\n", "a\nB\nc\nd\ne\nf\n")
        #expect(comparison.blocks == [
            .same(old: 0, new: 0, count: 1), .changed(old: 1..<2, new: 1..<2), .same(old: 2, new: 2, count: 3), .changed(old: 5..<5, new: 5..<6),
        ])
        let removal = LineComparison.between("x\ny\nz\n", "x\nz\n")
        #expect(removal.blocks == [.same(old: 0, new: 0, count: 1), .changed(old: 1..<2, new: 1..<1), .same(old: 2, new: 1, count: 1)])
    }
}
