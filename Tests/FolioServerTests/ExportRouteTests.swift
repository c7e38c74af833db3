import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /api/projects/{pid}/export/`: a project's files at a commit as a streamed archive.
@Suite struct ExportRouteTests {
    @Test func anExportUnpacksToExactlyWhatGitArchiveHolds() async throws {
        let fixture = try ServerFixture()
        let work = TemporaryDirectory("export")
        let repository = fixture.storeConfiguration.repositoryPath
        try await fixture.withServer { client in
            let first = try await client.send(.post, "/api/projects/p1/batch/", json: ["updated_by": "alice", "files": [
                ["type": "prd", "content": "# Checkout\n\nGoals: ünïcode, \"quotes\", and a\ttab\n", "metadata": ["prd_id": 123, "ratio": 1.5]],
                ["type": "prd", "name": "pricing.v2", "content": String(repeating: "A line of the pricing PRD.\n", count: 4000)],
                ["type": "implementation", "content": "1. Cart\n"],
            ]])
            #expect(first.status == .ok, "\(first.text)")
            let old = first.commit
            _ = try await client.save("main_prd", "# Checkout v2\n", by: "bob")
            _ = try await client.send(.post, "/api/projects/p1/batch/", json: ["updated_by": "bob", "files": [["type": "implementation", "delete": true]]])
            _ = try await client.save("main_prd", "another project\n", project: "p2")
            let tip = try #require(try fixture.gitCommits().first)

            let current = try await client.send(.get, "/api/projects/p1/export/")
            #expect(current.status == .ok)
            #expect(current.headers[.contentType] == "application/gzip")
            #expect(current.headers[.contentDisposition] == "attachment; filename=\"p1-\(tip.prefix(12)).tar.gz\"")
            #expect(current.headers[.contentLength] == nil, "the archive is streamed, not sized in advance")
            #expect(current.headers[.xContentTypeOptions] == "nosniff")
            let tarFile = work.child("current.tar.gz")
            try Data(current.body.readableBytesView).write(to: URL(fileURLWithPath: tarFile))
            let unpacked = work.child("current")
            try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
            #expect(try runCommand("/usr/bin/env", ["tar", "-xzf", tarFile, "-C", unpacked]).status == 0)
            let expectedNow = try gitArchiveContents(repository: repository, commit: tip, project: "p1", into: work.child("git-current"))
            #expect(expectedNow.keys.sorted() == ["p1/prd/main_prd.json", "p1/prd/pricing.v2.json"])
            #expect(filesBelow(unpacked) == expectedNow)

            // An older commit (named by a prefix), as zip, read by Python's zipfile.
            let older = try await client.send(.get, "/api/projects/p1/export/?at=\(old.prefix(10))&format=zip")
            #expect(older.status == .ok && older.headers[.contentType] == "application/zip")
            #expect(older.headers[.contentDisposition] == "attachment; filename=\"p1-\(old.prefix(12)).zip\"")
            let zipFile = work.child("old.zip")
            try Data(older.body.readableBytesView).write(to: URL(fileURLWithPath: zipFile))
            let extracted = work.child("old")
            let python = try runCommand("/usr/bin/env", ["python3", "-c", """
                import sys, zipfile
                archive = zipfile.ZipFile(sys.argv[1])
                assert archive.testzip() is None
                assert archive.comment.decode() == sys.argv[3], archive.comment
                archive.extractall(sys.argv[2])
                """, zipFile, extracted, old])
            #expect(python.status == 0, "\(python.stderr)")
            let expectedOld = try gitArchiveContents(repository: repository, commit: old, project: "p1", into: work.child("git-old"))
            #expect(expectedOld.count == 3)
            #expect(filesBelow(extracted) == expectedOld)

            // The same older commit as tar.gz.
            let olderTar = try await client.send(.get, "/api/projects/p1/export/?at=\(old)&format=tar.gz")
            let oldTarFile = work.child("old.tar.gz")
            try Data(olderTar.body.readableBytesView).write(to: URL(fileURLWithPath: oldTarFile))
            let oldTarFolder = work.child("old-tar")
            try FileManager.default.createDirectory(atPath: oldTarFolder, withIntermediateDirectories: true)
            #expect(try runCommand("/usr/bin/env", ["tar", "-xzf", oldTarFile, "-C", oldTarFolder]).status == 0)
            #expect(filesBelow(oldTarFolder) == expectedOld)
        }
    }

    @Test func unknownProjectsCommitsAndFormatsAreRefused() async throws {
        let fixture = try ServerFixture(tokens: [APIToken(name: "app", token: "app-secret"), APIToken(name: "viewer", token: "view-secret", readOnly: true)])
        let app: HTTPFields = [.authorization: "Bearer app-secret"]
        try await fixture.withServer { client in
            #expect(try await client.send(.get, "/api/projects/p1/export/", headers: app).status == .notFound, "nothing saved yet")
            _ = try await client.save("main_prd", "x", headers: app)
            let cases: [(String, HTTPResponse.Status, String?)] = [
                ("/api/projects/nobody/export/", .notFound, nil),
                ("/api/projects/p1/export/?at=\(String(repeating: "0", count: 40))", .notFound, "at"),
                ("/api/projects/p1/export/?at=xyz", .badRequest, "at"),
                ("/api/projects/p1/export/?format=rar", .badRequest, "format"),
                ("/api/projects/a.b/export/", .badRequest, "project_id"),
            ]
            for (path, status, field) in cases {
                let refused = try await client.send(.get, path, headers: app)
                #expect(refused.status == status && refused.errorField == field, "\(path): \(refused.text)")
                #expect(refused.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            #expect(try await client.send(.get, "/api/projects/p1/export/").status == .unauthorized)
            let viewer = try await client.send(.get, "/api/projects/p1/export/?format=zip", headers: [.authorization: "Bearer view-secret"])
            #expect(viewer.status == .ok && viewer.body.readableBytes > 0, "a read-only token may export")
            let wrongMethod = try await client.send(.post, "/api/projects/p1/export/", headers: app)
            #expect(wrongMethod.status == .methodNotAllowed)
        }
    }
}
