import FolioGit
@testable import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

/// The commit builder alone: no writer thread, no catalog, no server — a bare repository, requests in,
/// commits and outcomes out, checked with the `git` command.
@Suite struct CommitBuilderTests {
    let folder = TemporaryDirectory("builder")
    let repository: Repository
    let builder: CommitBuilder

    init() throws {
        repository = try Repository.openOrCreateBare(at: folder.child("repo.git"))
        builder = CommitBuilder(repository: repository, committer: Signature(name: "Folio", email: "folio@folio.invalid"))
    }

    private func key(_ name: String, _ type: FileType = .prd) throws -> FileKey {
        try FileKey(projectID: "p1", fileType: type, name: name)
    }

    private func put(_ key: FileKey, _ content: String, by author: String = "ann", base: ObjectID? = nil, restoring: Bool = false) -> WriteRequest {
        WriteRequest(
            key: key, kind: .put(content: content, metadata: [:], baseCommit: base, restoring: restoring),
            author: Signature(name: author, email: "\(author)@users.folio.invalid"), userMessage: nil)
    }

    /// Builds on `tip` and moves the branch there, so later builds and `git` see the result.
    @discardableResult
    private func publish(_ requests: [WriteRequest], on tip: ObjectID?) throws -> CommitBuilder.Built {
        let built = try builder.build(requests, on: tip)
        if let newTip = built.newTip {
            try repository.updateReference("refs/heads/main", to: newTip, expected: tip, logMessage: "test")
        }
        return built
    }

    private func content(_ key: FileKey, at commit: ObjectID) throws -> String? {
        try repository.readFile(at: key.path, inCommit: commit).map { try Envelope.decode($0).content }
    }

    private func committed(_ outcome: CommitBuilder.Outcome) throws -> (commit: ObjectID, files: [CommitBuilder.FileOutcome]) {
        guard case .committed(let commit, let files) = outcome else {
            Issue.record("expected a commit, got \(outcome)")
            throw StoreError(.internal, "no commit")
        }
        return (commit, files)
    }

    @Test func savingTheSameEnvelopeAgainMakesNoCommit() throws {
        let prd = try key("main_prd")
        let first = try publish([put(prd, "# v1\n")], on: nil)
        let tip = try #require(first.newTip)
        let again = try builder.build([put(prd, "# v1\n")], on: tip)
        #expect(again.newTip == nil && again.records.isEmpty)
        guard case .unchanged(let keys) = again.outcomes[0] else { Issue.record("expected unchanged"); return }
        #expect(keys == [prd])
        // Another author's identical text is a change: updated_by is part of the envelope.
        let byBob = try builder.build([put(prd, "# v1\n", by: "bob")], on: tip)
        #expect(byBob.newTip != nil)
    }

    @Test func aStaleBaseIsMergedThreeWayWhenEditsDoNotOverlap() throws {
        let prd = try key("main_prd")
        let base = try #require(try publish([put(prd, "a\nb\nc\nd\ne\n")], on: nil).newTip)
        let newer = try #require(try publish([put(prd, "A\nb\nc\nd\ne\n", by: "bob")], on: base).newTip)
        let built = try publish([put(prd, "a\nb\nc\nd\nE\n", base: base)], on: newer)
        let (commit, files) = try committed(built.outcomes[0])
        #expect(files.map(\.merged) == [true] && files.map(\.action) == [.update])
        #expect(try content(prd, at: commit) == "A\nb\nc\nd\nE\n")
    }

    @Test func overlappingEditsAreAConflictAndBuildNothing() throws {
        let prd = try key("main_prd")
        let base = try #require(try publish([put(prd, "one\n")], on: nil).newTip)
        let newer = try #require(try publish([put(prd, "two\n", by: "bob")], on: base).newTip)
        let built = try builder.build([put(prd, "three\n", base: base)], on: newer)
        #expect(built.newTip == nil && built.records.isEmpty)
        guard case .conflict(let conflictKey, let current, _, let text) = built.outcomes[0] else { Issue.record("expected a conflict"); return }
        #expect(conflictKey == prd && current == "two\n" && text.contains("<<<<<<<"))
    }

    @Test func deletingAMissingFileFailsAndDeletingAnExistingOneRemovesIt() throws {
        let prd = try key("main_prd")
        let missing = try builder.build([WriteRequest(key: prd, kind: .delete, author: Signature(name: "ann", email: "a@x"), userMessage: nil)], on: nil)
        guard case .failed(let error) = missing.outcomes[0] else { Issue.record("expected a failure"); return }
        #expect(error.code == .notFound && missing.newTip == nil)

        let tip = try #require(try publish([put(prd, "text\n")], on: nil).newTip)
        let deleted = try publish([WriteRequest(key: prd, kind: .delete, author: Signature(name: "ann", email: "a@x"), userMessage: "gone")], on: tip)
        let (commit, files) = try committed(deleted.outcomes[0])
        #expect(files.map(\.action) == [.delete])
        #expect(try repository.readFile(at: prd.path, inCommit: commit) == nil)
        #expect(deleted.records[0].changes.map(\.blob) == [nil])
        #expect(try git("-C", folder.child("repo.git"), "log", "-1", "--format=%an|%s", "main") == "ann|Delete prd p1/main_prd\n")
    }

    @Test func aRestoreIsRecordedAsARestore() throws {
        let prd = try key("main_prd")
        let first = try #require(try publish([put(prd, "old\n")], on: nil).newTip)
        let second = try #require(try publish([put(prd, "new\n")], on: first).newTip)
        let restored = try publish([put(prd, "old\n", by: "cy", restoring: true)], on: second)
        let (_, files) = try committed(restored.outcomes[0])
        #expect(files.map(\.action) == [.restore])
        #expect(restored.records[0].changes.map(\.action) == [.restore])
    }

    @Test func severalFilesChangeInOneCommit() throws {
        let prd = try key("main_prd")
        let plan = try key("implementation_plan", .implementation)
        let gone = try key("old_notes")
        let same = try key("stable")
        let tip = try #require(try publish([put(gone, "bye\n"), put(same, "keep\n")], on: nil).newTip)
        let request = WriteRequest(
            changes: [
                .init(key: prd, kind: .put(content: "# PRD\n", metadata: ["prd_id": .int(7)], baseCommit: nil, restoring: false)),
                .init(key: plan, kind: .put(content: "# Plan\n", metadata: [:], baseCommit: nil, restoring: false)),
                .init(key: gone, kind: .delete),
                .init(key: same, kind: .put(content: "keep\n", metadata: [:], baseCommit: nil, restoring: false)),
            ],
            author: Signature(name: "ann", email: "ann@users.folio.invalid"), userMessage: "Plan the quarter")
        let built = try publish([request], on: tip)
        #expect(built.records.count == 1, "one commit for the whole request")
        let (commit, files) = try committed(built.outcomes[0])
        #expect(files.map(\.key) == [prd, plan, gone, same], "results in the request's order")
        #expect(files.map(\.action) == [.create, .create, .delete, nil], "the unchanged file is reported unchanged")
        #expect(built.records[0].changes.map(\.key) == [prd, plan, gone])
        let names = try git("-C", folder.child("repo.git"), "show", "--name-status", "--format=%an|%s", commit.hex)
        #expect(names == "ann|Change 3 files\n\nA\tp1/implementation/implementation_plan.json\nA\tp1/prd/main_prd.json\nD\tp1/prd/old_notes.json\n")
        // Ingest reads the same commit back into the same record, trailers and all.
        let ingested = try Ingest.record(for: commit, in: repository).record
        #expect(ingested.changes.map(\.action).sorted { $0.rawValue < $1.rawValue } == [.create, .create, .delete])
        #expect(ingested.message == "Plan the quarter")
        _ = try git("-C", folder.child("repo.git"), "fsck", "--strict")
    }

    @Test func aBatchChainsOneCommitPerRequestAndSkipsRefusedOnes() throws {
        let a = try key("a")
        let b = try key("b")
        let built = try publish([
            put(a, "a1\n"),
            WriteRequest(key: b, kind: .delete, author: Signature(name: "ann", email: "a@x"), userMessage: nil),
            put(b, "b1\n", by: "bob"),
            put(a, "a2\n", by: "cy"),
        ], on: nil)
        #expect(built.records.count == 3)
        let log = try git("-C", folder.child("repo.git"), "log", "--format=%an|%s", "main")
        #expect(log == "cy|Update prd p1/a\nbob|Create prd p1/b\nann|Create prd p1/a\n")
        guard case .failed = built.outcomes[1] else { Issue.record("the delete of a missing file is refused"); return }
        let (last, _) = try committed(built.outcomes[3])
        #expect(last == built.newTip)
        #expect(try content(a, at: last) == "a2\n" && content(b, at: last) == "b1\n")
    }
}
