import FolioPostgres
import Foundation

/// The PostgreSQL server `scripts/postgres.sh` starts for the tests (`FOLIO_TEST_DATABASE_URL`), and fresh
/// databases on it so tests never see each other's rows.
///
/// Without the variable the PostgreSQL tests skip, unless `FOLIO_REQUIRE_SERVICES=1`, when they fail.
public enum TestPostgres {
    /// The server's URL (its `folio_test` database), or nil when not configured.
    public static let url: String? = {
        guard let url = ProcessInfo.processInfo.environment["FOLIO_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }()

    /// Whether the PostgreSQL variants of the tests run (they fail without a server when services are required).
    public static var enabled: Bool { url != nil || ProcessInfo.processInfo.environment["FOLIO_REQUIRE_SERVICES"] == "1" }

    /// Whether the store fixtures use PostgreSQL (`FOLIO_TEST_CATALOG=postgres`), running the store suite on it.
    public static var storeSuiteOnPostgres: Bool { ProcessInfo.processInfo.environment["FOLIO_TEST_CATALOG"] == "postgres" }

    /// A new, empty database; its URL. Dropped when the returned value is released. `sqlASCII` makes it
    /// a SQL_ASCII database, which stores whatever bytes it is given (as old databases sometimes are).
    public static func makeDatabase(_ label: String = "t", sqlASCII: Bool = false) throws -> Database {
        guard let url else {
            throw TestPostgresMissing()
        }
        let name = "folio_\(label)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresConnection(url: url)
        try admin.execute("CREATE DATABASE \(name)" + (sqlASCII ? " TEMPLATE template0 ENCODING 'SQL_ASCII'" : ""))
        return Database(adminURL: url, name: name, url: replacingDatabase(in: url, with: name))
    }

    /// `postgres://u@h:p/old?x` → `postgres://u@h:p/NAME?x`.
    static func replacingDatabase(in url: String, with name: String) -> String {
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return components.string!
    }

    /// A database that exists while this value does.
    public final class Database: @unchecked Sendable {
        let adminURL: String
        /// The database's name.
        public let name: String
        /// Its URL.
        public let url: String

        init(adminURL: String, name: String, url: String) {
            self.adminURL = adminURL
            self.name = name
            self.url = url
        }

        /// A connection to this database (for setting up tables the way another application would).
        public func connect() throws -> PostgresConnection { try PostgresConnection(url: url) }

        deinit {
            // Connections still open (a store not yet closed) would block a plain DROP.
            if let admin = try? PostgresConnection(url: adminURL) {
                try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }
}

/// Raised when a PostgreSQL test runs without a server configured.
public struct TestPostgresMissing: Error, CustomStringConvertible {
    public var description: String {
        "FOLIO_TEST_DATABASE_URL is not set: run `scripts/postgres.sh start` and source the env file it writes"
    }
}
