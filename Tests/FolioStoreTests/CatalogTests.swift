@testable import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

/// Which catalog a test runs on.
enum CatalogKind: String, CustomStringConvertible, Sendable {
    case sqlite, postgres

    var description: String { rawValue }

    /// SQLite always; PostgreSQL when a test server is configured or services are required (then its
    /// absence fails the test instead of skipping it).
    static var all: [CatalogKind] { TestPostgres.enabled ? [.sqlite, .postgres] : [.sqlite] }
}

/// A catalog of `kind` in a fresh place, plus a second handle on the same data (as another process has).
final class CatalogFixture: @unchecked Sendable {
    let folder = TemporaryDirectory("catalog")
    let database: TestPostgres.Database?
    let url: String

    init(_ kind: CatalogKind) throws {
        switch kind {
        case .sqlite:
            database = nil
            url = folder.child("folio.sqlite")
        case .postgres:
            let database = try TestPostgres.makeDatabase("catalog")
            self.database = database
            url = database.url
        }
    }

    /// A new handle on the same catalog (its own connections).
    func open() throws -> any Catalog {
        database == nil ? try SQLiteCatalog(path: url) : try PostgresCatalog(url: url, poolSize: 4)
    }
}

/// The `Catalog` protocol's contract, run on SQLite and on PostgreSQL alike.
@Suite struct CatalogTests {
    static func id(_ n: Int) -> ObjectID { ObjectID(hex: String(format: "%040x", n))! }

    static func key(_ name: String, project: String = "p1", type: FileType = .prd) -> FileKey {
        try! FileKey(projectID: project, fileType: type, name: name)
    }

    static func record(_ commit: Int, _ changes: [(FileKey, Action)], author: String = "ann", at seconds: Int = 1_700_000_000) -> CommitRecord {
        CommitRecord(
            commit: id(commit), author: author, token: commit % 2 == 0 ? "ci" : nil, committedAt: Date(timeIntervalSince1970: TimeInterval(seconds + commit)),
            message: "change \(commit)",
            changes: changes.map { key, action in
                CommitRecord.Change(
                    key: key, action: action, blob: action == .delete ? nil : id(1000 + commit), size: action == .delete ? 0 : 100 + commit,
                    metadata: action == .delete ? nil : #"{"n":\#(commit)}"#)
            })
    }

    @Test(arguments: CatalogKind.all) func migratingTwiceChangesNothingAndTheCatalogChecksOut(_ kind: CatalogKind) throws {
        let fixture = try CatalogFixture(kind)
        let catalog = try fixture.open()
        try catalog.migrate()
        let again = try fixture.open()
        try again.checkIntegrity()
        try again.checkWritable()
        #expect(try again.ingestedTip() == nil)
    }

    @Test(arguments: CatalogKind.all) func applyRecordsRevisionsFilesAndTheOutboxInOneStep(_ kind: CatalogKind) throws {
        let fixture = try CatalogFixture(kind)
        let catalog = try fixture.open()
        let a = Self.key("a"), b = Self.key("b"), plan = Self.key("plan", type: .implementation)
        // One batch: a changed twice (consecutive seqs), b created then deleted, plan in another type.
        let records = [
            Self.record(1, [(a, .create), (b, .create)]),
            Self.record(2, [(a, .update), (plan, .create)]),
            Self.record(3, [(b, .delete)]),
        ]
        #expect(try catalog.apply(records, newTip: Self.id(3), expectedTip: nil, now: Date(timeIntervalSince1970: 1_800_000_000)))
        #expect(try catalog.ingestedTip() == Self.id(3))

        let document = try #require(try catalog.document(a))
        #expect(document.commit == Self.id(2) && document.blob == Self.id(1002) && document.size == 102)
        #expect(document.updatedBy == "ann" && document.metadata == #"{"n":2}"# && document.isLive)
        #expect(document.updatedAt == Date(timeIntervalSince1970: 1_700_000_002))
        let deleted = try #require(try catalog.document(b))
        #expect(!deleted.isLive && deleted.blob == nil && deleted.size == 0 && deleted.deletedAt != nil)

        #expect(try catalog.documents(projectID: "p1", type: nil).map(\.key) == [plan, a], "live files by type, then name")
        #expect(try catalog.documents(projectID: "p1", type: .prd).map(\.key) == [a])
        #expect(try catalog.documents(projectID: "p2", type: nil).isEmpty)
        #expect(try catalog.deletedDocuments(projectID: "p1").map(\.key) == [b])
        #expect(try catalog.projects() == [ProjectSummary(id: "p1", files: 2, updatedAt: Date(timeIntervalSince1970: 1_700_000_002))])

        let history = try catalog.revisions(a, limit: 10, beforeSeq: nil)
        #expect(history.map(\.seq) == [2, 1] && history.map(\.commit) == [Self.id(2), Self.id(1)])
        #expect(history.map(\.action) == [.update, .create] && history.first?.token == "ci" && history.last?.token == nil)
        #expect(history.first?.message == "change 2" && history.first?.size == 102)
        #expect(try catalog.revisions(a, limit: 10, beforeSeq: 2).map(\.seq) == [1])
        #expect(try catalog.revisions(a, limit: 1, beforeSeq: nil).map(\.seq) == [2])
        #expect(try catalog.revisions(b, limit: 10, beforeSeq: nil).map(\.action) == [.delete, .create])

        // The outbox holds each file once, at its last commit, ordered by key.
        let outbox = try catalog.outboxAll()
        #expect(outbox.map(\.fileKey) == [plan.path, a.path, b.path])
        #expect(outbox.map(\.commit) == [Self.id(2), Self.id(2), Self.id(3)])
        #expect(outbox.allSatisfy { $0.attempts == 0 && $0.lastError == nil })
        #expect(try catalog.outboxDue(now: Date(timeIntervalSince1970: 1_799_999_999), limit: 10).isEmpty)
        #expect(try catalog.outboxDue(now: Date(timeIntervalSince1970: 1_800_000_000), limit: 2).count == 2)
    }

    @Test(arguments: CatalogKind.all) func aStaleExpectedTipChangesNothing(_ kind: CatalogKind) throws {
        let fixture = try CatalogFixture(kind)
        let catalog = try fixture.open()
        let a = Self.key("a")
        #expect(try catalog.apply([Self.record(1, [(a, .create)])], newTip: Self.id(1), expectedTip: nil, now: Date()))
        #expect(try !catalog.apply([Self.record(2, [(a, .update)])], newTip: Self.id(2), expectedTip: nil, now: Date()))
        #expect(try !catalog.apply([Self.record(2, [(a, .update)])], newTip: Self.id(2), expectedTip: Self.id(9), now: Date()))
        #expect(try catalog.ingestedTip() == Self.id(1))
        #expect(try catalog.revisions(a, limit: 10, beforeSeq: nil).count == 1)
        #expect(try catalog.document(a)?.commit == Self.id(1))
        // A commit that changed no Folio file (a README pushed to the branch) still moves the tip.
        #expect(try catalog.apply([Self.record(3, [])], newTip: Self.id(3), expectedTip: Self.id(1), now: Date()))
        #expect(try !catalog.apply([Self.record(4, [])], newTip: Self.id(4), expectedTip: Self.id(1), now: Date()))
        #expect(try catalog.ingestedTip() == Self.id(3))
    }

    @Test(arguments: CatalogKind.all) func writersOnTwoHandlesNeverBothMoveTheTip(_ kind: CatalogKind) async throws {
        let fixture = try CatalogFixture(kind)
        let handles = [try fixture.open(), try fixture.open()]
        let a = Self.key("a")
        var tip: ObjectID?
        for round in 0..<20 {
            let expected = tip
            // Both handles try to append on the same tip at once; exactly one may win each round.
            let wins = try await withThrowingTaskGroup(of: Int?.self) { group in
                for (index, handle) in handles.enumerated() {
                    group.addTask {
                        let commit = 100 * round + index + 1
                        return try handle.apply([Self.record(commit, [(a, .update)])], newTip: Self.id(commit), expectedTip: expected, now: Date()) ? commit : nil
                    }
                }
                var wins: [Int] = []
                for try await win in group { if let win { wins.append(win) } }
                return wins
            }
            #expect(wins.count == 1, "round \(round): \(wins)")
            tip = wins.first.map(Self.id)
        }
        let history = try handles[1].revisions(a, limit: 100, beforeSeq: nil)
        #expect(history.map(\.seq) == Array((1...20).reversed()), "no seq taken twice, none skipped")
        #expect(try handles[0].ingestedTip() == tip)
    }

    @Test(arguments: CatalogKind.all) func outboxRowsCompleteFailAndRequeue(_ kind: CatalogKind) throws {
        let fixture = try CatalogFixture(kind)
        let catalog = try fixture.open()
        let a = Self.key("a")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try catalog.apply([Self.record(1, [(a, .create)])], newTip: Self.id(1), expectedTip: nil, now: now))
        try catalog.outboxFailed(a.path, commit: Self.id(1), error: "S3 said no", nextAttemptAt: now.addingTimeInterval(60))
        let failed = try #require(try catalog.outboxAll().first)
        #expect(failed.attempts == 1 && failed.lastError == "S3 said no" && failed.nextAttemptAt == now.addingTimeInterval(60))
        #expect(try catalog.outboxDue(now: now, limit: 10).isEmpty)
        // Completing an older commit leaves a newer save's row alone.
        try catalog.outboxCompleted([(a.path, Self.id(7))])
        #expect(try catalog.outboxAll().count == 1)
        try catalog.outboxCompleted([(a.path, Self.id(1))])
        #expect(try catalog.outboxAll().isEmpty)
        try catalog.enqueueMirror(a.path, commit: Self.id(1), now: now)
        #expect(try catalog.outboxDue(now: now, limit: 10).map(\.attempts) == [0])
        // Several rows complete together; a row whose commit moved on stays.
        let b = Self.key("b"), c = Self.key("c")
        try catalog.enqueueMirror(b.path, commit: Self.id(2), now: now)
        try catalog.enqueueMirror(c.path, commit: Self.id(3), now: now)
        try catalog.outboxCompleted([(a.path, Self.id(1)), (b.path, Self.id(2)), (c.path, Self.id(9))])
        #expect(try catalog.outboxAll().map(\.fileKey) == [c.path])
    }

    @Test(arguments: CatalogKind.all) func legacyRowsLoadUntilSavedAndSurviveAReset(_ kind: CatalogKind) throws {
        let fixture = try CatalogFixture(kind)
        let catalog = try fixture.open()
        let old = Self.key("old"), moved = Self.key("moved")
        try catalog.insertLegacy(old, content: "from the old app ü", metadata: #"{"prd_id":1}"#, updatedBy: "bob", updatedAt: Date(timeIntervalSince1970: 1_600_000_000))
        try catalog.insertLegacy(moved, content: "soon in git", metadata: nil, updatedBy: nil, updatedAt: nil)
        let row = try #require(try catalog.document(old))
        #expect(row.legacyContent == "from the old app ü" && row.commit == nil && row.isLive && row.size == "from the old app ü".utf8.count)
        #expect(row.updatedBy == "bob" && row.updatedAt == Date(timeIntervalSince1970: 1_600_000_000))

        #expect(try catalog.apply([Self.record(1, [(moved, .create)])], newTip: Self.id(1), expectedTip: nil, now: Date()))
        #expect(try catalog.document(moved)?.legacyContent == nil, "the first save moves legacy content into git")
        // A file already in git is not overwritten by a later legacy import.
        try catalog.insertLegacy(moved, content: "stale", metadata: nil, updatedBy: nil, updatedAt: nil)
        #expect(try catalog.document(moved)?.legacyContent == nil)

        try catalog.resetDerivedState()
        #expect(try catalog.ingestedTip() == nil)
        #expect(try catalog.document(moved) == nil && catalog.revisions(moved, limit: 10, beforeSeq: nil).isEmpty && catalog.outboxAll().isEmpty)
        #expect(try catalog.document(old)?.legacyContent == "from the old app ü", "legacy rows stay")
    }

    @Test(arguments: CatalogKind.all) func aLargeBatchIsRecordedWhole(_ kind: CatalogKind) throws {
        // More changes than one PostgreSQL statement carries, so the batch spans several statements.
        let fixture = try CatalogFixture(kind)
        let catalog = try fixture.open()
        let records = (1...2_500).map { Self.record($0, [(Self.key("f\($0 % 1_200)"), $0 <= 1_200 ? .create : .update)]) }
        #expect(try catalog.apply(records, newTip: Self.id(2_500), expectedTip: nil, now: Date()))
        #expect(try catalog.documents(projectID: "p1", type: .prd).count == 1_200)
        #expect(try catalog.revisions(Self.key("f1"), limit: 10, beforeSeq: nil).map(\.seq) == [3, 2, 1])
        #expect(try catalog.document(Self.key("f1"))?.commit == Self.id(2_401))
        #expect(try catalog.outboxAll().count == 1_200)
    }
}
