import FolioStore
import FolioTestSupport
import Foundation
import Testing

/// The PostgreSQL catalog going away and coming back, through a proxy the test cuts.
@Suite(.enabled(if: TestPostgres.enabled, "needs FOLIO_TEST_DATABASE_URL (scripts/postgres.sh)"))
struct PostgresConnectionLossTests {
    @Test func savesMadeWhileTheCatalogIsUnreachableAreInGitAndRecordedOnceItIsBack() async throws {
        let database = try TestPostgres.makeDatabase("loss")
        var components = try #require(URLComponents(string: database.url))
        let proxy = try TCPProxy(targetHost: components.host ?? "127.0.0.1", targetPort: components.port ?? 5432)
        try proxy.start()
        components.port = proxy.port
        let url = try #require(components.string)
        let fixture = try StoreFixture(postgres: false) { $0.databaseURL = url }
        let store = fixture.store
        let key = try fixture.key()
        let first = try await store.save(key, content: "one\n", updatedBy: "ann")

        // Every pooled connection is cut and new ones are refused while the save runs.
        proxy.stop()
        let second = try await store.save(key, content: "two\n", updatedBy: "bob")
        #expect(second.changed && second.commit != first.commit, "the save is in git and answered")
        #expect(try fixture.gitTip() == second.commit.hex)
        #expect(throws: StoreError.self, "reads that need the catalog say it is unavailable") { try store.load(key) }

        // Back: the broken pooled connections are replaced and the catalog catches up from git.
        try proxy.start()
        let loaded = try store.load(key)
        #expect(loaded.content == "two\n" && loaded.commit == second.commit)
        #expect(try store.history(key).revisions.map(\.commit) == [second.commit, first.commit])
        let third = try await store.save(key, content: "three\n", updatedBy: "cy")
        #expect(try store.history(key).revisions.map(\.commit) == [third.commit, second.commit, first.commit])
    }
}
