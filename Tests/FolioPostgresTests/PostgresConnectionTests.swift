import FolioPostgres
import FolioTestSupport
import Testing

/// The libpq wrapper against the real server: values travel as parameters and come back unchanged,
/// array literals survive every awkward character, and failures are told apart.
@Suite(.enabled(if: TestPostgres.enabled, "needs FOLIO_TEST_DATABASE_URL (scripts/postgres.sh)"))
struct PostgresConnectionTests {
    static let awkward: [String?] = ["plain", "", "NULL", nil, "a,b", "{braces}", "quote \" inside", "back\\slash", "ünï ✓", "line\nbreak", " spaced "]

    @Test func parametersAndArrayLiteralsComeBackExactly() throws {
        let database = try TestPostgres.makeDatabase("pq")
        let connection = try database.connect()
        for value in Self.awkward {
            #expect(try connection.query("SELECT $1::text", [value]).rows == [[value]])
        }
        let unnested = try connection.query("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [PostgresText.arrayLiteral(Self.awkward)])
        #expect(unnested.rows.map { $0[0] } == Self.awkward)
    }

    @Test func questionMarksBecomeNumberedPlaceholdersOutsideQuotes() throws {
        #expect(numberedPlaceholders("SELECT ?, '?', \"a?\", ? -- why?\n, ?") == "SELECT $1, '?', \"a?\", $2 -- why?\n, $3")
        let database = try TestPostgres.makeDatabase("pq")
        let rows = try database.connect().query(numberedPlaceholders("SELECT ?::int + ?::int, '?'"), ["2", "3"]).rows
        #expect(rows == [["5", "?"]])
    }

    @Test func failuresSayWhetherTheServerRefusedOrTheConnectionWasLost() throws {
        let database = try TestPostgres.makeDatabase("pq")
        let connection = try database.connect()
        try connection.execute("CREATE TABLE t (k text PRIMARY KEY)")
        try connection.query("INSERT INTO t VALUES ($1)", ["a"])
        do {
            try connection.query("INSERT INTO t VALUES ($1)", ["a"])
            Issue.record("a duplicate key was accepted")
        } catch let error as PostgresError {
            #expect(error.kind == .sql && error.sqlState == "23505")
        }
        #expect(connection.isUsable && connection.isIdle, "a refused statement leaves the connection usable")
        // A rolled-back transaction changes nothing.
        #expect(throws: PostgresError.self) {
            try connection.transaction { try $0.query("INSERT INTO t VALUES ('b')"); try $0.query("INSERT INTO t VALUES ('a')") }
        }
        #expect(try connection.query("SELECT count(*) FROM t").scalar == "1")

        let victim = try database.connect()
        let pid = try #require(try victim.query("SELECT pg_backend_pid()").scalar)
        try connection.query("SELECT pg_terminate_backend($1::int)", [pid])
        do {
            try victim.query("SELECT 1")
            Issue.record("a terminated connection answered")
        } catch let error as PostgresError {
            #expect(error.kind == .connectionLost)
        }
        #expect(!victim.isUsable)
        do {
            _ = try PostgresConnection(url: "postgres://nobody@127.0.0.1:1/none")
            Issue.record("connected to a closed port")
        } catch let error as PostgresError {
            #expect(error.kind == .connect)
        }
    }

    @Test func thePoolReplacesAConnectionTheServerClosed() throws {
        let database = try TestPostgres.makeDatabase("pq")
        let pool = PostgresPool(url: database.url, size: 2)
        let first = try pool.withConnection { try $0.query("SELECT pg_backend_pid()").scalar }
        try database.connect().query("SELECT pg_terminate_backend($1::int)", [first])
        let second = try pool.withConnection(retry: true) { try $0.query("SELECT pg_backend_pid()").scalar }
        #expect(second != nil && second != first, "the retry ran on a fresh connection")
    }
}
