import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

@Suite struct ExportTests {
    func collect(_ archive: ProjectArchive) async throws -> Data {
        var data = Data()
        for try await chunk in archive { data += chunk }
        return data
    }

    @Test func theArchivesHoldWhatGitArchiveHoldsLongPathsIncluded() async throws {
        let fixture = try StoreFixture()
        let project = String(repeating: "p", count: 64)
        let longName = String(repeating: "n", count: 120) + ".v2"
        let first = try await fixture.store.saveBatch(projectID: project, files: [
            BatchFile(type: .prd, content: "# PRD\n\nü and emoji 🎯\n", metadata: ["prd_id": .int(1)]),
            BatchFile(type: .implementation, name: longName, content: String(repeating: "a long plan line\n", count: 5000)),
            BatchFile(type: .prd, name: "empty", content: ""),
        ], updatedBy: "ann")
        let old = try #require(first.commit)
        _ = try await fixture.store.save(projectID: project, type: .prd, content: "# PRD v2\n", updatedBy: "bob")
        _ = try await fixture.store.save(projectID: "other", type: .prd, content: "not in the export\n", updatedBy: "bob")
        let tip = try #require(try fixture.gitTip())

        for (label, commit) in [("tip", nil), ("old", old)] as [(String, ObjectID?)] {
            let expected = try gitArchiveContents(repository: fixture.repoPath, commit: commit?.hex ?? tip, project: project, into: fixture.folder.child("git-\(label)"))
            #expect(expected.count == 3 && expected.keys.contains("\(project)/implementation/\(longName).json"))

            let tarGzip = try fixture.store.export(projectID: project, at: commit, format: .tarGzip)
            #expect(tarGzip.fileCount == 3 && tarGzip.commit.hex == (commit?.hex ?? tip))
            let tarFile = fixture.folder.child("export-\(label).tar.gz")
            try await collect(tarGzip).write(to: URL(fileURLWithPath: tarFile))
            let tarFolder = fixture.folder.child("tar-\(label)")
            try FileManager.default.createDirectory(atPath: tarFolder, withIntermediateDirectories: true)
            let untar = try runCommand("/usr/bin/env", ["tar", "-xzf", tarFile, "-C", tarFolder])
            #expect(untar.status == 0, "\(untar.stderr)")
            #expect(filesBelow(tarFolder) == expected, "\(label): tar.gz")
            // The pax global header names the commit, as git archive's does.
            let id = try runCommand("/bin/sh", ["-c", "gzip -dc '\(tarFile)' | git get-tar-commit-id"])
            #expect(id.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == tarGzip.commit.hex)

            let zip = try fixture.store.export(projectID: project, at: commit, format: .zip)
            let zipFile = fixture.folder.child("export-\(label).zip")
            try await collect(zip).write(to: URL(fileURLWithPath: zipFile))
            let zipFolder = fixture.folder.child("zip-\(label)")
            let unzip = try runCommand("/usr/bin/env", ["unzip", "-q", zipFile, "-d", zipFolder])
            #expect(unzip.status == 0, "\(unzip.stderr)")
            #expect(filesBelow(zipFolder) == expected, "\(label): zip")
            let test = try runCommand("/usr/bin/env", ["unzip", "-t", zipFile])
            #expect(test.status == 0 && test.stdout.contains("No errors detected"), "unzip verifies every entry's CRC: \(test.stdout)")
            let comment = try runCommand("/usr/bin/env", ["unzip", "-z", zipFile])
            #expect(comment.stdout.contains(zip.commit.hex), "the archive's comment is the commit, as git archive writes it")
        }
    }

    @Test func unknownProjectsAndCommitsAreRefusedBeforeAnyByte() async throws {
        let fixture = try StoreFixture()
        let empty = #expect(throws: StoreError.self) { try fixture.store.export(projectID: "p1") }
        #expect(empty?.code == .notFound, "an empty repository has nothing to export")
        let saved = try await fixture.store.save(projectID: "p1", type: .prd, content: "x", updatedBy: "ann")
        _ = try await fixture.store.save(projectID: "p2", type: .prd, content: "y", updatedBy: "ann")
        #expect(#expect(throws: StoreError.self) { try fixture.store.export(projectID: "nobody") }?.code == .notFound)
        #expect(#expect(throws: StoreError.self) { try fixture.store.export(projectID: "p2", at: saved.commit) }?.code == .notFound,
                "p2 has no files at the commit before its first save")
        #expect(#expect(throws: StoreError.self) { try fixture.store.export(projectID: "../etc") }?.code == .invalidInput)
        let missing = ObjectID(hex: String(repeating: "0", count: 40))!
        #expect(#expect(throws: StoreError.self) { try fixture.store.export(projectID: "p1", at: missing) }?.field == "at")
        #expect(#expect(throws: StoreError.self) { try ArchiveFormat.parse("rar") }?.field == "format")
    }
}
