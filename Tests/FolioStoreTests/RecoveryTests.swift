import FolioGit
@testable import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// What a killed writer, a damaged catalog or a catalog error leaves behind must never stop the next
/// save or make an answer wrong.
@Suite struct RecoveryTests {
    private func setModificationTime(_ path: String, secondsAgo: Int) {
        var times = [timespec](repeating: timespec(), count: 2)
        let then = time(nil) - secondsAgo
        times[0] = timespec(tv_sec: then, tv_nsec: 0)
        times[1] = timespec(tv_sec: then, tv_nsec: 0)
        _ = utimensat(AT_FDCWD, path, times, 0)
    }

    @Test func aRefLockLeftByAFolioWriterThatDiedIsRemovedAtOnce() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        _ = try await fixture.store.save(key, content: "one\n", updatedBy: "ann")
        // What a `folio save` killed inside the ref update leaves: libgit2's lock file and Folio's mark.
        let lock = fixture.repoPath + "/refs/heads/main.lock"
        _ = FileManager.default.createFile(atPath: lock, contents: Data("0123456789abcdef0123456789abcdef01234567\n".utf8))
        // The mark a writer leaves in folio-ref.lock while it moves the branch.
        try Data([1]).write(to: URL(fileURLWithPath: fixture.repoPath + "/folio-ref.lock"))
        let started = Date()
        let saved = try await fixture.store.save(key, content: "two\n", updatedBy: "ann")
        #expect(Date().timeIntervalSince(started) < RefGuard.foreignLockTimeout, "no wait for a lock whose owner is known dead")
        #expect(try fixture.gitTip() == saved.commit.hex)
        #expect(!FileManager.default.fileExists(atPath: lock))
        let mark = try FileManager.default.attributesOfItem(atPath: fixture.repoPath + "/folio-ref.lock")[.size] as? Int
        #expect(mark == 0, "the mark is cleared after the update")
    }

    @Test func anOldRefLockWithoutFoliosMarkerIsRemovedAndALiveOneWaitedFor() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        _ = try await fixture.store.save(key, content: "one\n", updatedBy: "ann")
        let lock = fixture.repoPath + "/refs/heads/main.lock"

        // Left long ago by some git process: stale.
        _ = FileManager.default.createFile(atPath: lock, contents: Data())
        setModificationTime(lock, secondsAgo: 60)
        let second = try await fixture.store.save(key, content: "two\n", updatedBy: "ann")
        #expect(try fixture.gitTip() == second.commit.hex && !FileManager.default.fileExists(atPath: lock))

        // Held right now by a live git process that lets go after 300 ms: waited for, not removed.
        _ = FileManager.default.createFile(atPath: lock, contents: Data())
        let released = Atomic(false)
        let releaser = Thread {
            usleep(300_000)
            released.store(true, ordering: .releasing)
            unlink(lock)
        }
        releaser.start()
        let third = try await fixture.store.save(key, content: "three\n", updatedBy: "ann")
        let waited = released.load(ordering: .acquiring)
        #expect(waited, "the save waited for the live lock's owner")
        #expect(try fixture.gitTip() == third.commit.hex)
    }

    @Test func temporaryFilesOfDeadWritersGoAtStartButNotThoseOfLiveOnes() throws {
        let fixture = try StoreFixture()
        let pack = fixture.repoPath + "/objects/pack/"
        let mirrorFolder = fixture.configuration.mediaRoot + "/projects/p1/prd/"
        try FileManager.default.createDirectory(atPath: mirrorFolder, withIntermediateDirectories: true)
        let dead = [
            pack + "tmp_pack_" + TemporaryName.token(), pack + "tmp_idx_" + TemporaryName.token(), pack + "pack_git2_abcdef",
            mirrorFolder + ".main_prd.json.\(TemporaryName.token()).tmp",
        ]
        for path in dead { _ = FileManager.default.createFile(atPath: path, contents: Data("partial".utf8)) }
        // A push's own temporary pack, fresh: spared even when no other Folio process is alive.
        let pushing = pack + "tmp_pack_Ab3dE9"
        _ = FileManager.default.createFile(atPath: pushing, contents: Data())

        // Another live Folio process holds the lease: fresh temporaries may be its own and stay.
        let other = try FileLock(path: fixture.repoPath + "/folio-writers.lock")
        try other.lock(exclusive: false)
        try fixture.reopen()
        for path in dead { #expect(FileManager.default.fileExists(atPath: path), "\(path) may belong to the live process") }

        other.unlock()
        try fixture.reopen()
        for path in dead { #expect(!FileManager.default.fileExists(atPath: path), "\(path) was a dead writer's") }
        #expect(FileManager.default.fileExists(atPath: pushing))
    }

    /// A damaged SQLite file specifically (on PostgreSQL the server keeps its own files whole).
    @Test func aDamagedCatalogIsMovedAsideAndRebuiltFromGit() async throws {
        let fixture = try StoreFixture(postgres: false)
        let key = try fixture.key()
        var commits: [ObjectID] = []
        for index in 1...20 {
            commits.append(try await fixture.store.save(key, content: String(repeating: "line \(index)\n", count: 200), updatedBy: "u\(index)").commit)
        }
        fixture.store.close()
        let catalogPath = fixture.folder.child("folio.sqlite")
        // Checkpoint the WAL into the file first so truncating it really damages the data.
        _ = try runCommand("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()", catalogPath])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: catalogPath)[.size] as? Int)
        #expect(truncate(catalogPath, off_t(size / 2)) == 0)

        try fixture.reopen()
        let history = try fixture.store.history(key, limit: 100).revisions
        #expect(history.map(\.commit) == commits.reversed(), "the catalog was rebuilt from git")
        let aside = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path).filter { $0.hasPrefix("folio.sqlite.damaged-") }
        #expect(!aside.isEmpty, "the damaged file is kept beside the new one")
        let health = fixture.store.readiness()
        #expect(health.allSatisfy { $0.ok }, "\(health)")
        _ = try await fixture.store.save(key, content: "after\n", updatedBy: "ann")
    }

    @Test func aCatalogErrorAfterTheBranchMovedStillAnswersSuccessAndTheNextReadCatchesUp() async throws {
        let folder = TemporaryDirectory("catalog-error")
        let configuration = StoreConfiguration.rooted(at: folder.path)
        _ = try Repository.openOrCreateBare(at: configuration.repositoryPath)
        let catalog = FailingCatalog(try SQLiteCatalog(path: folder.child("folio.sqlite")))
        let store = try DocumentStore(configuration: configuration, catalog: catalog, mirror: nil, logger: Logger(label: "test"))
        defer { store.close() }
        let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
        _ = try await store.save(key, content: "one\n", updatedBy: "ann")

        catalog.failApply.store(true, ordering: .releasing)
        let saved = try await store.save(key, content: "two\n", updatedBy: "bob")
        #expect(saved.changed && saved.action == .update, "the save is on the branch, so it is reported as saved")
        #expect(try git("-C", configuration.repositoryPath, "rev-parse", "main") == saved.commit.hex + "\n")

        catalog.failApply.store(false, ordering: .releasing)
        // No unrelated write in between: the read itself brings the catalog up to date.
        #expect(try store.load(key).content == "two\n")
        #expect(try store.history(key).revisions.map(\.author) == ["bob", "ann"])
    }
}

/// A catalog whose `apply` can be made to fail, as a locked or unreachable database would.
final class FailingCatalog: Catalog {
    let inner: SQLiteCatalog
    let failApply = Atomic(false)
    init(_ inner: SQLiteCatalog) { self.inner = inner }

    func migrate() throws { try inner.migrate() }
    func checkIntegrity() throws { try inner.checkIntegrity() }
    func checkWritable() throws { try inner.checkWritable() }
    func ingestedTip() throws -> ObjectID? { try inner.ingestedTip() }
    func apply(_ records: [CommitRecord], newTip: ObjectID, expectedTip: ObjectID?, now: Date) throws -> Bool {
        if failApply.load(ordering: .acquiring) { throw StoreError(.unavailable, "database is locked") }
        return try inner.apply(records, newTip: newTip, expectedTip: expectedTip, now: now)
    }
    func document(_ key: FileKey) throws -> DocumentRecord? { try inner.document(key) }
    func documents(projectID: String, type: FileType?) throws -> [DocumentRecord] { try inner.documents(projectID: projectID, type: type) }
    func deletedDocuments(projectID: String) throws -> [DocumentRecord] { try inner.deletedDocuments(projectID: projectID) }
    func projects() throws -> [ProjectSummary] { try inner.projects() }
    func revisions(_ key: FileKey, limit: Int, beforeSeq: Int?) throws -> [Revision] { try inner.revisions(key, limit: limit, beforeSeq: beforeSeq) }
    func outboxDue(now: Date, limit: Int) throws -> [OutboxEntry] { try inner.outboxDue(now: now, limit: limit) }
    func outboxAll() throws -> [OutboxEntry] { try inner.outboxAll() }
    func outboxCompleted(_ entries: [(key: String, commit: ObjectID)]) throws { try inner.outboxCompleted(entries) }
    func outboxFailed(_ key: String, commit: ObjectID, error: String, nextAttemptAt: Date) throws {
        try inner.outboxFailed(key, commit: commit, error: error, nextAttemptAt: nextAttemptAt)
    }
    func enqueueMirror(_ key: String, commit: ObjectID, now: Date) throws { try inner.enqueueMirror(key, commit: commit, now: now) }
    func insertLegacy(_ key: FileKey, content: String, metadata: String?, updatedBy: String?, updatedAt: Date?) throws {
        try inner.insertLegacy(key, content: content, metadata: metadata, updatedBy: updatedBy, updatedAt: updatedAt)
    }
    func resetDerivedState() throws { try inner.resetDerivedState() }
}
