import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Logging
import Synchronization
import Testing
import FolioSupport

@Suite struct RobustnessTests {
    @Test(arguments: ["../etc", "", String(repeating: "a", count: 500), "a/b", "p 1", "ümlaut", "x\u{0}y"])
    func invalidProjectIDsAreRefusedBeforeAnythingIsWritten(projectID: String) async throws {
        let fixture = try StoreFixture()
        await #expect(throws: StoreError.self) {
            try await fixture.store.save(projectID: projectID, type: .prd, content: "x", updatedBy: "u")
        }
        try expectNothingWritten(fixture)
    }

    @Test(arguments: ["../passwd", "", ".hidden", String(repeating: "n", count: 129), "a/b", "with space", "tab\t"])
    func invalidNamesAreRefusedBeforeAnythingIsWritten(name: String) async throws {
        let fixture = try StoreFixture()
        do {
            _ = try await fixture.store.save(projectID: "p1", type: .prd, name: name, content: "x", updatedBy: "u")
            Issue.record("name \(name) was accepted")
        } catch let error as StoreError {
            #expect(error.code == .invalidInput && error.field == "name")
            #expect(error.message.contains("name"))
        }
        try expectNothingWritten(fixture)
    }

    @Test func otherBadInputIsRefusedWithAMessageNamingTheProblem() async throws {
        let fixture = try StoreFixture { $0.maxContentBytes = 16 }
        let key = try fixture.key()
        func refused(_ code: StoreError.Code, _ field: String?, _ body: () async throws -> Void) async {
            do {
                try await body()
                Issue.record("accepted bad input for \(field ?? "?")")
            } catch let error as StoreError {
                #expect(error.code == code, "\(error)")
                if let field { #expect(error.field == field, "\(error)") }
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        await refused(.tooLarge, "content") { _ = try await fixture.store.save(key, content: String(repeating: "x", count: 17), updatedBy: "u") }
        await refused(.invalidInput, "updated_by") { _ = try await fixture.store.save(key, content: "x", updatedBy: "") }
        await refused(.invalidInput, "updated_by") { _ = try await fixture.store.save(key, content: "x", updatedBy: "Eve <evil>") }
        await refused(.invalidInput, "content") { _ = try await fixture.store.save(key, content: "a\u{0}b", updatedBy: "u") }
        await refused(.invalidInput, "base_commit") { _ = try await fixture.store.save(key, content: "x", updatedBy: "u", baseCommit: fixture.store.commitID("HEAD~1", field: "base_commit")) }
        await refused(.notFound, "base_commit") { _ = try await fixture.store.save(key, content: "x", updatedBy: "u", baseCommit: fixture.store.commitID("0123456789abcdef0123456789abcdef01234567", field: "base_commit")) }
        await refused(.notFound, nil) { _ = try await fixture.store.delete(key, by: "u") }
        await refused(.notFound, "commit") { _ = try await fixture.store.restore(key, commit: fixture.store.commitID("abcdef12", field: "commit"), by: "u") }
        #expect(throws: StoreError.self) { try FileType.parse("design") }
        #expect(throws: StoreError.self) { try FileKey(parsing: "p1/prd/main_prd.txt") }
        #expect(throws: StoreError.self) { try FileKey(parsing: "p1/prd/../../x.json") }
        try expectNothingWritten(fixture)
    }

    func expectNothingWritten(_ fixture: StoreFixture) throws {
        #expect(try fixture.gitTip() == nil)
        #expect(fixture.mirroredPaths().isEmpty)
        #expect(try fixture.store.list(projectID: "p1").isEmpty)
    }

    @Test func reindexRebuildsTheSameRowsFromGitAlone() async throws {
        let fixture = try StoreFixture()
        let a = try fixture.key("p1", .prd, "a"), b = try fixture.key("p1", .implementation, "implementation_plan")
        let a1 = try await fixture.store.save(a, content: "a1", metadata: ["prd_id": .int(1)], updatedBy: "ann", message: "first\n\nwith a body")
        _ = try await fixture.store.save(b, content: "b1", updatedBy: "bo")
        _ = try await fixture.store.save(a, content: "a2", updatedBy: "cy")
        _ = try await fixture.store.delete(b, by: "dee")
        _ = try await fixture.store.restore(a, commit: a1.commit, by: "eve")
        let legacy = try fixture.key("old", .prd, "main_prd")
        try fixture.store.importLegacy(legacy, content: "legacy text", updatedBy: "past")

        func snapshot() throws -> [String] {
            var lines: [String] = []
            for project in ["p1", "old"] {
                for document in try fixture.store.list(projectID: project) { lines.append("\(document)") }
            }
            for key in [a, b] {
                for revision in try fixture.store.history(key).revisions { lines.append("\(revision)") }
            }
            return lines
        }
        let before = try snapshot()
        try fixture.store.reindex()
        #expect(try snapshot() == before)
        #expect(try fixture.store.load(legacy).source == .database)
        #expect(before.count == 2 + 5)
    }

    @Test func commitsTheCatalogHasNotSeenAreIngestedOnOpen() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        _ = try await fixture.store.save(key, content: "from folio", updatedBy: "ann")
        fixture.store.close()
        // Another writer (a crash before the catalog, or a push) moves the branch behind Folio's back.
        let repository = try Repository.open(at: fixture.repoPath)
        let tip = try repository.resolveReference("refs/heads/main")!
        let envelope = Envelope(content: "from outside", metadata: ["updated_by": .string("zed")], type: "prd")
        let tree = try repository.updatedTree(base: try repository.treeID(ofCommit: tip), changes: [
            TreeChange(path: key.path, blob: try repository.writeBlob(envelope.encoded())),
            TreeChange(path: "README.md", blob: try repository.writeBlob(Data("not a document".utf8))),
        ])
        let zed = Signature(name: "zed", email: "zed@example.com")
        let commit = try repository.createCommit(tree: tree, parents: [tip], author: zed, committer: zed, message: "Edit by hand\n")
        try repository.updateReference("refs/heads/main", to: commit, expected: tip, logMessage: "outside")

        try fixture.reopen()
        let loaded = try fixture.store.load(key)
        #expect(loaded.content == "from outside" && loaded.commit == commit && loaded.updatedBy == "zed")
        let history = try fixture.store.history(key).revisions
        #expect(history.map(\.action) == [.update, .create])
        #expect(history.first?.message == "Edit by hand")
        #expect(fixture.mirrored(key).map { String(decoding: $0, as: UTF8.self) }?.contains("from outside") == true)
    }

    @Test func aFailingMirrorNeverFailsASaveAndCatchesUpLater() async throws {
        let fixture = try StoreFixture()
        let broken = FlakyMirror(inner: LocalMirror(mediaRoot: fixture.configuration.mediaRoot))
        broken.failing.withLock { $0 = true }
        try fixture.reopen(mirror: broken)
        let key = try fixture.key()
        for index in 1...5 { _ = try await fixture.store.save(key, content: "v\(index)", updatedBy: "ann") }
        fixture.store.flushMirror()
        let pending = try fixture.store.mirrorOutbox()
        #expect(pending.count == 1, "only the tip is queued")
        #expect(pending.first?.attempts ?? 0 >= 1 && pending.first?.lastError?.contains("mirror is down") == true)

        broken.failing.withLock { $0 = false }
        try fixture.reopen(mirror: broken)  // a restart retries what is pending at once
        #expect(try fixture.store.mirrorOutbox().isEmpty)
        #expect(broken.puts.withLock { $0 } == 1, "a file saved five times while the mirror was down is written once")
        #expect(fixture.mirrored(key).map { String(decoding: $0, as: UTF8.self) }?.contains("\"v5\"") == true)
    }
}

/// A mirror that can be switched to fail, counting successful writes.
final class FlakyMirror: Mirror {
    let inner: LocalMirror
    let failing = Mutex(false)
    let puts = Mutex(0)
    init(inner: LocalMirror) { self.inner = inner }
    var description: String { "flaky \(inner.description)" }
    func put(_ key: FileKey, envelope: Data, commit: ObjectID, author: String) throws {
        if failing.withLock({ $0 }) { throw StoreError(.unavailable, "mirror is down") }
        try inner.put(key, envelope: envelope, commit: commit, author: author)
        puts.withLock { $0 += 1 }
    }
    func remove(_ key: FileKey) throws { try inner.remove(key) }
    func read(_ key: FileKey) throws -> Data? { try inner.read(key) }
    func check() throws {}
    func listKeys() throws -> [String] { try inner.listKeys() }
    func holds(_ key: FileKey, commit: ObjectID, envelope: () throws -> Data) throws -> Bool? { try inner.holds(key, commit: commit, envelope: envelope) }
}
