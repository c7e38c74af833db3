import FolioSupport
import FolioPostgres
import FolioStore
import FolioTestSupport
import Foundation
import Testing

/// `folio migrate-legacy` against tables shaped as Django creates them, in a real PostgreSQL.
@Suite(.enabled(if: TestPostgres.enabled, "needs FOLIO_TEST_DATABASE_URL (scripts/postgres.sh)"), .serialized)
struct MigrateLegacyTests {
    let folder = TemporaryDirectory("migrate")

    /// The Django models' tables: the PRD table has an author column, the implementation table a commit
    /// column instead (so both "has" and "has not" are covered).
    static let schema = TestPostgres.djangoTables(
        extraPRD: ["updated_by varchar(150) NULL"], extraImplementation: ["folio_commit_id varchar(40) NULL"])

    static let project = "6f1c2d3e-0000-4000-8000-000000000001"

    /// `bulk` ordinary rows over 20 projects (a third of their names with spaces), plus the awkward ones.
    static func fill(_ connection: PostgresConnection, bulk: Int) throws {
        try connection.execute(schema)
        try connection.execute("""
            INSERT INTO projects_projectprd (project_id, name, content, created_at, updated_at, updated_by)
            SELECT ('6f1c2d3e-0000-4000-8000-' || lpad((g % 20)::text, 12, '0'))::uuid,
                   CASE WHEN g % 3 = 0 THEN 'doc ' || g ELSE 'doc_' || g END,
                   repeat('line ' || g || E' of a planning document\\n', 60),
                   timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
                   CASE WHEN g % 5 = 0 THEN NULL ELSE 'user' || (g % 7) END
            FROM generate_series(1, \(bulk)) AS g;
            INSERT INTO projects_projectimplementation (project_id, name, content, created_at, updated_at)
            SELECT ('6f1c2d3e-0000-4000-8000-' || lpad((g % 20)::text, 12, '0'))::uuid, 'implementation_plan',
                   'plan ' || g, now(), timestamptz '2023-06-01 00:00:00+00' + g * interval '1 hour'
            FROM generate_series(1, 20) AS g;
            """)
        let special: [(name: String, content: String, minute: Int)] = [
            ("My_PRD", "kept as it is", 1),
            ("My PRD", "a space", 2),
            ("My/PRD", "a slash", 3),
            ("specs/v2 draft", "slash and space", 4),
            (".hidden", "leading dot", 5),
            ("empty one", "", 6),
            ("big", "REPEAT5MB", 7),
            ("too big", "REPEAT7MB", 8),
            ("Ünïcode näme", "non-ASCII name", 9),
        ]
        for row in special {
            // The large contents are made by the server (repeat) rather than sent.
            let generated = row.content == "REPEAT5MB" ? "repeat('x', 5242880)" : row.content == "REPEAT7MB" ? "repeat('y', 7340032)" : "NULL"
            try connection.query("""
                INSERT INTO projects_projectprd (project_id, name, content, created_at, updated_at, updated_by)
                VALUES ($1::uuid, $2, COALESCE($3::text, \(generated)), now(), timestamptz '2025-01-01 00:00:00+00' + $4::int * interval '1 minute', 'ann')
                """, [project, row.name, row.content.hasPrefix("REPEAT") ? nil : row.content, String(row.minute)])
        }
    }

    var environment: [String: String] {
        ["FOLIO_REPO_PATH": folder.child("repo.git"), "FOLIO_DATABASE_URL": "sqlite:" + folder.child("catalog.sqlite"),
         "MEDIA_ROOT": folder.child("media"), "FOLIO_MAX_CONTENT_BYTES": String(6 << 20), "FOLIO_FAILPOINT": ""]
    }

    func migrate(_ source: String, _ extra: String...) throws -> (report: [String: Any], result: CommandResult) {
        let result = try runCommand(folioExecutable, ["migrate-legacy", "--source", source, "--json"] + extra, environment: environment, directory: folder.path)
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (report, result)
    }

    func commitCount() throws -> Int {
        let result = try runCommand("/usr/bin/env", ["git", "-C", folder.child("repo.git"), "rev-list", "--count", "main"])
        return result.status == 0 ? Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 : 0
    }

    @Test func rowsMoveOneCommitEachResumeAfterKillAndASecondRunCommitsNothing() throws {
        let database = try TestPostgres.makeDatabase("legacy")
        let connection = try database.connect()
        let bulk = 3_000
        try Self.fill(connection, bulk: bulk)
        let movable = bulk + 20 + 7  // every row but the empty one and the one over the limit

        // A dry run plans everything and writes nothing.
        let dry = try migrate(database.url, "--dry-run")
        #expect(dry.result.status == 0, "\(dry.result.stderr)")
        #expect(dry.report["moved"] as? Int == movable && dry.report["dry_run"] as? Bool == true)
        #expect(try commitCount() == 0)
        #expect(try connection.query("SELECT count(*) FROM projects_projectprd WHERE s3_file_key IS NOT NULL").scalar == "0")

        // A run killed with SIGKILL part way through.
        // Small batches: many group commits, so the poll below sees the run part way (a tenth of the rows)
        // long before it ends. It watches the commits themselves, by the packs their group commits write
        // (one per batch of 8): the rows' write-back can trail the commits by the whole run on a loaded
        // machine, and starting `git rev-list` at each poll was too slow to see a fast run part way.
        // The poll sleeps on its thread rather than suspending: a suspended test task waits for a free
        // thread of the shared pool, which the suite's other tests can hold for longer than the run lasts.
        let process = try ChildProcess(
            executable: folioExecutable, arguments: ["migrate-legacy", "--source", database.url, "--batch", "8"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, directory: folder.path)
        try process.standardInput.close()
        process.discardStandardError()
        let output = process.standardOutput
        DispatchQueue.global().async { _ = output.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !process.hasEnded {
            let packs = (try? FileManager.default.contentsOfDirectory(atPath: folder.child("repo.git") + "/objects/pack")) ?? []
            if packs.filter({ $0.hasSuffix(".pack") }).count >= 300 / 8 { break }
            usleep(5_000)
        }
        #expect(!process.hasEnded, "the run was still going when it was killed")
        process.send(SIGKILL)
        _ = try process.waitForExit()
        let partial = try commitCount()
        #expect(partial > 0 && partial < movable, "killed part way: \(partial) of \(movable)")

        // Resumed: every movable row ends up committed exactly once.
        let resumed = try migrate(database.url)
        #expect(resumed.result.status == 0, "\(resumed.result.stderr)")
        #expect(try commitCount() == movable, "one commit per row, none twice")
        let skipped = try #require(resumed.report["skipped"] as? [String: Int])
        #expect(skipped == ["empty_content": 1, "content_over_limit": 1])
        #expect(resumed.report["failed"] as? Int == 0)
        let mappings = try #require(resumed.report["mappings"] as? [[String: Any]])
        let mapped = Dictionary(uniqueKeysWithValues: mappings.map { ($0["from"] as! String, $0["to"] as! String) })
        #expect(mapped["My_PRD"] == nil, "a valid name is kept")
        #expect(mapped["My PRD"]?.hasPrefix("My_PRD-") == true && mapped["My/PRD"]?.hasPrefix("My_PRD-") == true)
        #expect(mapped["My PRD"] != mapped["My/PRD"], "duplicates after mapping stay apart")
        #expect(mapped["specs/v2 draft"] == "specs_v2_draft" && mapped[".hidden"] == "_hidden" && mapped["Ünïcode näme"] == "_n_code_n_me")
        #expect(mapped["doc 3"] == "doc_3")

        // The old table says where each row went, as the old app's save_file returned it.
        let keys = try connection.query("SELECT name, s3_file_key FROM projects_projectprd WHERE project_id = $1::uuid", [Self.project]).rows
        let keyByName = Dictionary(uniqueKeysWithValues: keys.map { ($0[0]!, $0[1]) })
        #expect(keyByName["specs/v2 draft"] == "\(Self.project)/prd/specs_v2_draft.json")
        #expect(keyByName["big"] == "\(Self.project)/prd/big.json")
        #expect(keyByName["empty one"] == .some(nil) && keyByName["too big"] == .some(nil), "skipped rows are left alone")
        let commits = try connection.query("SELECT count(*) FROM projects_projectimplementation WHERE folio_commit_id ~ '^[0-9a-f]{40}$'").scalar
        #expect(commits == "20", "the commit column is filled where the table has one")
        #expect(try connection.query("SELECT count(*) FROM projects_projectprd").scalar == String(bulk + 9), "nothing deleted")

        // Each commit is the row's: author and author date from the row, default author where it has none.
        let log = try git("-C", folder.child("repo.git"), "log", "--format=%an|%aI", "-1", "--", "\(Self.project)/prd/big.json")
        #expect(log.trimmingCharacters(in: .whitespacesAndNewlines) == "ann|2025-01-01T00:07:00+00:00")
        let plan = try git("-C", folder.child("repo.git"), "log", "--format=%an", "-1", "--", "6f1c2d3e-0000-4000-8000-000000000001/implementation/implementation_plan.json")
        #expect(plan.trimmingCharacters(in: .whitespacesAndNewlines) == "legacy")
        let big = try runCommand(folioExecutable, ["get", "\(Self.project)/prd/big.json"], environment: environment, directory: folder.path)
        #expect(big.stdout.utf8.count == 5_242_880)
        // The bulk rows of one project went in in updated_at order: the file of the last one is the newest.
        let order = try git("-C", folder.child("repo.git"), "log", "--format=%at", "--reverse", "main").split(separator: "\n").compactMap { Int($0) }
        #expect(order == order.sorted(), "commits follow updated_at")

        // A second run commits nothing.
        let again = try migrate(database.url)
        #expect(again.result.status == 0)
        #expect(again.report["moved"] as? Int == 0 && again.report["already_moved"] as? Int == movable)
        #expect(try commitCount() == movable)
    }

    @Test func rowsWhoseBytesAreNotTextAreSkippedAndReported() throws {
        let database = try TestPostgres.makeDatabase("legacy_ascii", sqlASCII: true)
        let connection = try database.connect()
        try connection.execute(Self.schema)
        // Latin-1 bytes in a SQL_ASCII database: stored as given, not UTF-8.
        try connection.execute("""
            INSERT INTO projects_projectprd (project_id, name, content, created_at, updated_at, updated_by) VALUES
                ('\(Self.project)', 'fine', 'plain text', now(), now(), 'ann'),
                ('\(Self.project)', 'latin1', E'caf\\xe9', now(), now(), 'ann')
            """)
        let run = try migrate(database.url)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.report["moved"] as? Int == 1)
        #expect(run.report["skipped"] as? [String: Int] == ["invalid_text": 1])
        let notes = try #require(run.report["notes"] as? [[String: Any]])
        #expect(notes.first?["reason"] as? String == "invalid_text" && notes.first?["table"] as? String == "projects_projectprd")
        #expect(try connection.query("SELECT s3_file_key FROM projects_projectprd WHERE name = 'latin1'").rows.first?.first == .some(nil))
    }
}
