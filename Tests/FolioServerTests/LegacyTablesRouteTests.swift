import FolioPostgres
import FolioStore
import FolioTestSupport
import Foundation
import HTTPTypes
import Testing

/// The live fallback to the old app's tables, over HTTP.
@Suite(.enabled(if: TestPostgres.enabled, "needs FOLIO_TEST_DATABASE_URL (scripts/postgres.sh)"))
struct LegacyTablesRouteTests {
    static let project = "2d9c0e4b-5555-4666-8777-888899990000"

    @Test func aRowOfTheOldTablesIsServedListedAndMovedByItsFirstSave() async throws {
        let legacy = try TestPostgres.makeDatabase("route")
        try legacy.connect().execute("""
            \(TestPostgres.djangoTables(extraPRD: ["updated_by varchar(150) NULL"]))
            INSERT INTO projects_projectimplementation (project_id, name, content, created_at, updated_at)
                VALUES ('\(Self.project)', 'implementation_plan', 'step one, step two', now(), timestamptz '2024-02-03 04:05:06+00');
            """)
        let fixture = try ServerFixture { $0.legacyDatabaseURL = legacy.url }
        try await fixture.withServer { client in
            let loaded = try await client.send(.get, "/api/projects/\(Self.project)/implementation/")
            #expect(loaded.status == .ok)
            #expect(loaded.object["source"] as? String == "database" && loaded.object["content"] as? String == "step one, step two")
            #expect(loaded.object["commit"] is NSNull && loaded.object["updated_at"] as? String == "2024-02-03T04:05:06Z")

            let listed = try await client.send(.get, "/api/projects/\(Self.project)/files/")
            let files = try #require(listed.object["files"] as? [[String: Any]])
            #expect(files.map { $0["file_key"] as? String } == ["\(Self.project)/implementation/implementation_plan.json"])
            #expect(files.first?["commit"] is NSNull)

            let saved = try await client.send(.post, "/api/projects/\(Self.project)/implementation/", json: [
                "content": "step one, step two, step three", "updated_by": "ines",
            ])
            #expect(saved.status == .created)
            let after = try await client.send(.get, "/api/projects/\(Self.project)/implementation/")
            #expect(after.object["source"] as? String == "git" && after.object["commit"] as? String == saved.commit)
        }
        let key = try legacy.connect().query("SELECT s3_file_key FROM projects_projectimplementation").scalar
        #expect(key == "\(Self.project)/implementation/implementation_plan.json")
    }
}
