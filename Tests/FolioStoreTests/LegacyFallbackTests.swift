import FolioPostgres
import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

/// The live fallback to the old system's tables (`FOLIO_LEGACY_DATABASE_URL`).
@Suite(.enabled(if: TestPostgres.enabled, "needs FOLIO_TEST_DATABASE_URL (scripts/postgres.sh)"))
struct LegacyFallbackTests {
    static let project = "0b7e6a52-1111-4222-8333-444455556666"

    func legacyDatabase() throws -> TestPostgres.Database {
        let database = try TestPostgres.makeDatabase("fallback")
        let connection = try database.connect()
        try connection.execute("""
            \(TestPostgres.djangoTables(extraPRD: ["updated_by varchar(150) NULL"]))
            """)
        try connection.query("""
            INSERT INTO projects_projectprd (project_id, name, content, created_at, updated_at, updated_by) VALUES
                ($1::uuid, 'main_prd', 'the old PRD text', now(), timestamptz '2024-05-06 07:08:09+00', 'olga'),
                ($1::uuid, 'Launch plan', 'a name with a space', now(), now(), NULL),
                ($1::uuid, 'blank', '', now(), now(), NULL)
            """, [Self.project])
        return database
    }

    @Test func aLegacyRowIsServedAndListedUntilItsFirstSaveMovesItIntoGit() async throws {
        let legacy = try legacyDatabase()
        let fixture = try StoreFixture { $0.legacyDatabaseURL = legacy.url }
        let store = fixture.store
        let key = try FileKey(projectID: Self.project, fileType: .prd, name: "main_prd")

        let loaded = try store.load(key)
        #expect(loaded.source == .database && loaded.content == "the old PRD text" && loaded.commit == nil)
        #expect(loaded.updatedBy == "olga" && loaded.updatedAt == ISO8601DateFormatter().date(from: "2024-05-06T07:08:09Z"))
        let mapped = try FileKey(projectID: Self.project, fileType: .prd, name: "Launch_plan")
        #expect(try store.load(mapped).content == "a name with a space", "found under its mapped name")
        #expect(try store.list(projectID: Self.project).map(\.key.name) == ["Launch_plan", "main_prd"], "rows without content are not files")
        #expect(throws: StoreError.self) { try store.load(FileKey(projectID: Self.project, fileType: .prd, name: "blank")) }

        let saved = try await store.save(key, content: "the old PRD text, edited in Folio", updatedBy: "pat")
        #expect(saved.created && saved.changed)
        let after = try store.load(key)
        #expect(after.source == .git && after.content == "the old PRD text, edited in Folio" && after.commit == saved.commit)
        let row = try legacy.connect().query("SELECT s3_file_key, content FROM projects_projectprd WHERE name = 'main_prd'").rows.first
        #expect(row?[0] == key.path, "the old table says where the file went")
        #expect(row?[1] == "the old PRD text", "the old row is left as it was")
        #expect(try store.list(projectID: Self.project).map(\.commit).map { $0 == nil } == [true, false])
    }
}
