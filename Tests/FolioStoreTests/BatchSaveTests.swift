import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

@Suite struct BatchSaveTests {
    /// The commits on the branch, as the `git` command counts them.
    func commitCount(_ fixture: StoreFixture) throws -> Int {
        Int(try git("-C", fixture.repoPath, "rev-list", "--count", "main").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// What a refused batch must leave as it was: the branch, and the catalog's files and histories.
    struct Snapshot: Equatable {
        var tip: String?
        var files: [String]
        var histories: [String: [String]]
    }

    func snapshot(_ fixture: StoreFixture, project: String = "p1") throws -> Snapshot {
        let records = try fixture.store.list(projectID: project)
        var histories: [String: [String]] = [:]
        for record in records {
            histories[record.key.path] = try fixture.store.history(record.key).revisions.map(\.commit.hex)
        }
        return Snapshot(tip: try fixture.gitTip(), files: records.map { "\($0.key.path)@\($0.commit?.hex ?? "-")" }, histories: histories)
    }

    @Test func aBatchOfFiftyFilesIsOneCommitInEveryFilesHistory() async throws {
        let fixture = try StoreFixture()
        _ = try await fixture.store.save(projectID: "p1", type: .prd, content: "first\n", updatedBy: "ann")
        var files: [BatchFile] = (0..<40).map { BatchFile(type: .prd, name: "prd_\($0)", content: "# PRD \($0)\n", metadata: ["n": .int(JSONInteger($0))]) }
        files += (0..<10).map { BatchFile(type: .implementation, name: "plan_\($0)", content: "# Plan \($0)\n") }
        let result = try await fixture.store.saveBatch(projectID: "p1", files: files, updatedBy: "Bea Batch", message: "Import the roadmap")

        let commit = try #require(result.commit)
        #expect(result.files.count == 50 && result.files.allSatisfy { $0.created && $0.changed && $0.commit == commit && $0.action == .create })
        #expect(result.files.map(\.fileKey) == files.map { "p1/\($0.type.rawValue)/\($0.name!).json" }, "results come in the batch's order")
        #expect(try commitCount(fixture) == 2, "one commit for the first save, one for the whole batch")
        #expect(try fixture.gitTip() == commit.hex)
        let stat = try git("-C", fixture.repoPath, "show", "--stat=200", "--format=%an|%s|%b", commit.hex)
        #expect(stat.hasPrefix("Bea Batch|Change 50 files|Import the roadmap\n"))
        #expect(stat.contains("50 files changed, 50 insertions(+)"))
        #expect(stat.contains("p1/prd/prd_39.json") && stat.contains("p1/implementation/plan_9.json"))
        #expect(try git("-C", fixture.repoPath, "show", "\(commit.hex):p1/prd/prd_7.json")
                == ##"{"content": "# PRD 7\n", "metadata": {"n": 7, "updated_by": "Bea Batch"}, "type": "prd"}"##)
        try git("-C", fixture.repoPath, "fsck", "--strict")

        for file in files {
            let key = try fixture.key("p1", file.type, file.name!)
            let history = try fixture.store.history(key).revisions
            #expect(history.map(\.commit) == [commit], "\(key)")
            #expect(history.first?.author == "Bea Batch" && history.first?.action == .create && history.first?.message == "Import the roadmap")
            #expect(try fixture.gitLog(key) == ["Bea Batch|Change 50 files"])
        }
        #expect(try fixture.store.list(projectID: "p1").count == 51)
        #expect(fixture.mirroredPaths().count == 51, "every file of the batch is mirrored")
    }

    @Test func savesAndDeletesShareOneCommitAndUnchangedFilesAreReported() async throws {
        let fixture = try StoreFixture()
        let kept = try await fixture.store.save(projectID: "p1", type: .prd, name: "kept", content: "kept\n", updatedBy: "ann")
        _ = try await fixture.store.save(projectID: "p1", type: .prd, name: "gone", content: "gone\n", updatedBy: "ann")
        _ = try await fixture.store.save(projectID: "p1", type: .implementation, content: "plan v1\n", updatedBy: "ann")
        let before = try commitCount(fixture)

        let result = try await fixture.store.saveBatch(projectID: "p1", files: [
            BatchFile(type: .prd, name: "kept", content: "kept\n"),
            .delete(type: .prd, name: "gone"),
            BatchFile(type: .implementation, content: "plan v2\n"),
            BatchFile(type: .prd, content: "new main\n"),
        ], updatedBy: "ann")
        let commit = try #require(result.commit)
        #expect(try commitCount(fixture) == before + 1)
        #expect(result.files.map(\.action) == [nil, .delete, .update, .create])
        #expect(result.files.map(\.changed) == [false, true, true, true])
        #expect(result.files[0].commit == kept.commit, "an unchanged file reports its current commit")
        #expect(result.files.map(\.fileKey) == [
            "p1/prd/kept.json", "p1/prd/gone.json", "p1/implementation/implementation_plan.json", "p1/prd/main_prd.json",
        ])
        #expect(try fixture.store.list(projectID: "p1").map(\.key.name).sorted() == ["implementation_plan", "kept", "main_prd"])
        #expect(try fixture.store.history(fixture.key("p1", .prd, "gone")).revisions.first?.commit == commit)
        let trailers = try git("-C", fixture.repoPath, "log", "-1", "--format=%(trailers:key=Folio-Action,valueonly)", commit.hex)
        #expect(trailers.split(separator: "\n").sorted() == ["create", "delete", "update"])
        let gone = try fixture.key("p1", .prd, "gone")
        #expect(fixture.mirrored(gone) == nil, "a deleted file leaves the mirror")

        // A batch in which every file is already as asked makes no commit.
        let again = try await fixture.store.saveBatch(projectID: "p1", files: [BatchFile(type: .prd, name: "kept", content: "kept\n")], updatedBy: "ann")
        #expect(again.commit == nil && again.files.map(\.changed) == [false])
        #expect(try commitCount(fixture) == before + 1)
    }

    @Test func anInvalidFileRefusesTheWholeBatchAndChangesNothing() async throws {
        let fixture = try StoreFixture { configuration in
            configuration.maxContentBytes = 1000
            configuration.maxBatchContentBytes = 2500
        }
        let v1 = try await fixture.store.save(projectID: "p1", type: .prd, content: "one\ntwo\nthree\n", updatedBy: "ann")
        _ = try await fixture.store.save(projectID: "p1", type: .prd, content: "one\nTWO (ann)\nthree\n", updatedBy: "ann")
        _ = try await fixture.store.save(projectID: "p1", type: .implementation, content: "plan\n", updatedBy: "ann")
        let before = try snapshot(fixture)
        let good = BatchFile(type: .prd, name: "fine", content: "a valid file\n")

        let cases: [(String, [BatchFile], StoreError.Code, String)] = [
            ("bad name", [good, BatchFile(type: .prd, name: "no spaces allowed", content: "x")], .invalidInput, "files[1].name"),
            ("dot name", [good, BatchFile(type: .implementation, content: "x"), BatchFile(type: .prd, name: ".hidden", content: "x")], .invalidInput, "files[2].name"),
            ("too large", [good, BatchFile(type: .implementation, content: String(repeating: "x", count: 1001))], .tooLarge, "files[1].content"),
            ("NUL", [BatchFile(type: .prd, name: "nul", content: "a\0b"), good], .invalidInput, "files[0].content"),
            ("delete of a missing file", [good, .delete(type: .prd, name: "never_saved")], .notFound, "files[1]"),
            ("named twice", [good, BatchFile(type: .prd, content: "x"), BatchFile(type: .prd, name: "main_prd", content: "y")], .invalidInput, "files[2]"),
            ("unknown base", [good, BatchFile(type: .prd, content: "x", baseCommit: ObjectID(hex: String(repeating: "ab", count: 20))!)], .notFound, "files[1].base_commit"),
            ("conflicting base", [good, BatchFile(type: .prd, content: "one\nTWO (bob)\nthree\n", baseCommit: v1.commit)], .conflict, "files[1]"),
            ("too much in all", (0..<3).map { BatchFile(type: .prd, name: "big\($0)", content: String(repeating: "y", count: 900)) }, .tooLarge, "files"),
            ("empty", [], .invalidInput, "files"),
        ]
        for (label, files, code, field) in cases {
            let error = await #expect(throws: StoreError.self, "\(label)") {
                try await fixture.store.saveBatch(projectID: "p1", files: files, updatedBy: "bob")
            }
            #expect(error?.code == code, "\(label): \(error?.message ?? "")")
            #expect(error?.field == field, "\(label): \(error?.field ?? "nil")")
            if field.hasPrefix("files[") {
                #expect(error?.message.hasPrefix(String(field.prefix { $0 != "." })) == true, "\(label): the message names the entry: \(error?.message ?? "")")
            }
            #expect(try snapshot(fixture) == before, "\(label): nothing changed")
        }

        // The conflict carries what a single save's conflict carries, and names the file.
        let conflict = await #expect(throws: StoreError.self) {
            try await fixture.store.saveBatch(
                projectID: "p1", files: [good, BatchFile(type: .prd, content: "one\nTWO (bob)\nthree\n", baseCommit: v1.commit)], updatedBy: "bob")
        }
        #expect(conflict?.message.hasPrefix("files[1]: p1/prd/main_prd.json changed since the base commit") == true, "\(conflict?.message ?? "")")
        #expect(conflict?.conflict?.currentContent == "one\nTWO (ann)\nthree\n")
        #expect(conflict?.conflict?.conflictText.contains("<<<<<<<") == true)
        #expect(try fixture.gitTip() == before.tip)
        #expect(fixture.mirroredPaths() == ["p1/implementation/implementation_plan.json", "p1/prd/main_prd.json"])
    }

    @Test func aStaleBaseCommitIsMergedPerFile() async throws {
        let fixture = try StoreFixture()
        let base = try await fixture.store.saveBatch(projectID: "p1", files: [
            BatchFile(type: .prd, content: "intro\nmiddle\nend\n", metadata: ["status": .string("draft"), "owner": .string("ann")]),
            BatchFile(type: .implementation, content: "step 1\nstep 2\n"),
        ], updatedBy: "ann")
        let baseCommit = try #require(base.commit)
        // Someone else changes the PRD's first line and its owner meanwhile.
        _ = try await fixture.store.save(
            projectID: "p1", type: .prd, content: "INTRO\nmiddle\nend\n", metadata: ["status": .string("draft"), "owner": .string("cy")], updatedBy: "cy")

        let result = try await fixture.store.saveBatch(projectID: "p1", files: [
            BatchFile(type: .prd, content: "intro\nmiddle\nEND\n", metadata: ["status": .string("review"), "owner": .string("ann")], baseCommit: baseCommit),
            BatchFile(type: .implementation, content: "step 1\nstep 2\nstep 3\n", baseCommit: baseCommit),
        ], updatedBy: "bob")
        #expect(result.files.map(\.merged) == [true, false], "only the file that moved since the base is merged")
        let prd = try fixture.store.load(fixture.key("p1", .prd, "main_prd"))
        #expect(prd.content == "INTRO\nmiddle\nEND\n")
        #expect(prd.metadata["status"] == .string("review") && prd.metadata["owner"] == .string("cy"), "untouched metadata keeps the newer value")
        #expect(try fixture.store.load(fixture.key("p1", .implementation, "implementation_plan")).content == "step 1\nstep 2\nstep 3\n")
        #expect(try commitCount(fixture) == 3)
    }

    @Test func theProjectAuthorAndMessageAreCheckedBeforeAnyFile() async throws {
        let fixture = try StoreFixture()
        let file = BatchFile(type: .prd, content: "x")
        let project = await #expect(throws: StoreError.self) { try await fixture.store.saveBatch(projectID: "../p", files: [file], updatedBy: "ann") }
        #expect(project?.field == "project_id")
        let author = await #expect(throws: StoreError.self) { try await fixture.store.saveBatch(projectID: "p1", files: [file], updatedBy: " <x> ") }
        #expect(author?.field == "updated_by")
        let message = await #expect(throws: StoreError.self) {
            try await fixture.store.saveBatch(projectID: "p1", files: [file], updatedBy: "ann", message: "a\0b")
        }
        #expect(message?.field == "message")
        let many = Array(repeating: file, count: DocumentStore.maxBatchFiles + 1)
        let tooMany = await #expect(throws: StoreError.self) { try await fixture.store.saveBatch(projectID: "p1", files: many, updatedBy: "ann") }
        #expect(tooMany?.field == "files" && tooMany?.message.contains("at most 1000") == true)
        #expect(try fixture.gitTip() == nil)
    }
}
