import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Logging

/// A store in a fresh temp folder, with helpers to look at what it wrote.
final class StoreFixture: @unchecked Sendable {
    let folder = TemporaryDirectory("store")
    var configuration: StoreConfiguration
    private(set) var store: DocumentStore
    /// The PostgreSQL database holding the catalog, when the suite runs on PostgreSQL.
    let database: TestPostgres.Database?

    /// A store on SQLite, or on a fresh PostgreSQL database when `postgres` (default: what
    /// `FOLIO_TEST_CATALOG` says, so the whole store suite can run on either catalog).
    init(background: Bool = false, postgres: Bool = TestPostgres.storeSuiteOnPostgres, configure: (inout StoreConfiguration) -> Void = { _ in }) throws {
        var configuration = StoreConfiguration.rooted(at: folder.path)
        database = postgres ? try TestPostgres.makeDatabase("store") : nil
        if let database { configuration.databaseURL = database.url }
        configure(&configuration)
        self.configuration = configuration
        store = try DocumentStore.open(configuration, logger: Logger(label: "test"), background: background)
    }

    deinit { store.close() }

    var repoPath: String { configuration.repositoryPath }

    /// Closes and opens the store again, as a restart would.
    func reopen(mirror: (any Mirror)? = nil) throws {
        store.close()
        store = try DocumentStore.open(configuration, logger: Logger(label: "test"), mirror: mirror)
    }

    func key(_ project: String = "p1", _ type: FileType = .prd, _ name: String = "main_prd") throws -> FileKey {
        try FileKey(projectID: project, fileType: type, name: name)
    }

    /// The branch tip as the `git` command sees it (nil for an empty repository).
    func gitTip() throws -> String? {
        let result = try runCommand("/usr/bin/env", ["git", "-C", repoPath, "rev-parse", "--verify", "-q", "main"])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// `git log --format=%an|%s -- key`, newest first, one entry per line.
    func gitLog(_ key: FileKey) throws -> [String] {
        try git("-C", repoPath, "log", "--format=%an|%s", "--", key.path).split(separator: "\n").map(String.init)
    }

    /// The mirrored file's bytes after the outbox is drained, or nil when absent.
    func mirrored(_ key: FileKey) -> Data? {
        store.flushMirror()
        return FileManager.default.contents(atPath: configuration.mediaRoot + "/projects/" + key.path)
    }

    /// Every file in the media folder, relative paths.
    func mirroredPaths() -> [String] {
        store.flushMirror()
        let root = configuration.mediaRoot + "/projects"
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted()
    }
}
