import FolioStore
import FolioTestSupport
import Foundation
import XCTest

/// `main` moved around Folio (an administrator's update-ref, a restore from backup): the catalog must
/// not keep revisions that are no longer on the branch, and the mirror must follow.
final class RewrittenHistoryTests: XCTestCase {
    /// Saves two files one after the other; returns the commit after the first.
    private func twoSaves(_ fixture: StoreFixture) async throws -> (first: String, keys: [FileKey]) {
        let a = try fixture.key("p1", .prd, "kept"), b = try fixture.key("p1", .prd, "dropped")
        let first = try await fixture.store.save(a, content: "kept\n", updatedBy: "ann")
        _ = try await fixture.store.save(b, content: "dropped\n", updatedBy: "ann")
        XCTAssertNotNil(fixture.mirrored(b))
        return (first.commit.hex, [a, b])
    }

    func testBranchMovedBackIsRebuiltAtTheNextOpen() async throws {
        let fixture = try StoreFixture()
        let (first, keys) = try await twoSaves(fixture)
        _ = try git("-C", fixture.repoPath, "update-ref", "refs/heads/main", first)
        try fixture.reopen()
        XCTAssertThrowsError(try fixture.store.history(keys[1])) { error in
            XCTAssertEqual((error as? StoreError)?.code, .notFound)
        }
        XCTAssertEqual(try fixture.store.list(projectID: "p1").map(\.key), [keys[0]])
        XCTAssertEqual(try fixture.store.history(keys[0]).revisions.map(\.commit.hex), [first])
        XCTAssertEqual(fixture.mirroredPaths(), ["p1/prd/kept.json"])
    }

    func testBranchMovedSidewaysIsNoticedByTheNextSave() async throws {
        let fixture = try StoreFixture()
        let (first, keys) = try await twoSaves(fixture)
        // Another line of history from the first commit: git alone, as a restore from backup might hold.
        let clone = fixture.folder.child("clone")
        _ = try git("clone", "-q", fixture.repoPath, clone)
        _ = try git("-C", clone, "reset", "-q", "--hard", first)
        let envelope = #"{"content":"other\n","metadata":{},"type":"implementation"}"#
        try FileManager.default.createDirectory(atPath: clone + "/p1/implementation", withIntermediateDirectories: true)
        try envelope.write(toFile: clone + "/p1/implementation/other.json", atomically: true, encoding: .utf8)
        _ = try git("-C", clone, "add", "-A")
        _ = try git("-C", clone, "-c", "user.name=Admin", "-c", "user.email=a@x", "commit", "-qm", "Elsewhere")
        _ = try git("-C", clone, "push", "-q", "-f", fixture.repoPath, "HEAD:main")
        let sideways = try git("-C", clone, "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)

        // The running store's next save builds on the moved branch and its catch-up finds the catalog's
        // tip is not an ancestor: the catalog is rebuilt before the save is answered.
        let saved = try await fixture.store.save(keys[0], content: "kept, edited\n", updatedBy: "bob")
        XCTAssertEqual(try fixture.gitTip(), saved.commit.hex)
        XCTAssertEqual(try git("-C", fixture.repoPath, "rev-parse", "main^").trimmingCharacters(in: .whitespacesAndNewlines), sideways)
        XCTAssertThrowsError(try fixture.store.history(keys[1]))
        let other = try fixture.key("p1", .implementation, "other")
        XCTAssertEqual(try fixture.store.history(other).revisions.map(\.author), ["Admin"])
        XCTAssertEqual(try fixture.store.history(keys[0]).revisions.map(\.author), ["bob", "ann"])
        XCTAssertEqual(fixture.mirroredPaths(), ["p1/implementation/other.json", "p1/prd/kept.json"])
    }

    func testEmptyRepositoryBesideACatalogIsRefusedNotEmptied() async throws {
        let fixture = try StoreFixture()
        _ = try await twoSaves(fixture)
        // The repository replaced by an empty one (a wrong FOLIO_REPO_PATH looks the same).
        try FileManager.default.removeItem(atPath: fixture.repoPath)
        _ = try git("init", "-q", "--bare", "-b", "main", fixture.repoPath)
        XCTAssertThrowsError(try fixture.reopen()) { error in
            XCTAssertEqual((error as? StoreError)?.code, .unavailable)
            XCTAssertTrue("\(error)".contains("FOLIO_REPO_PATH"), "\(error)")
        }
        XCTAssertEqual(
            Set(FileManager.default.enumerator(atPath: fixture.configuration.mediaRoot + "/projects")?.compactMap { $0 as? String }
                .filter { $0.hasSuffix(".json") } ?? []),
            ["p1/prd/kept.json", "p1/prd/dropped.json"], "the mirror was emptied")
    }
}
