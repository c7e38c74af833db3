import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /api/projects/{pid}/batch/`: several files as one commit, over a real socket.
@Suite struct BatchRouteTests {
    func batch(_ client: any TestClientProtocol, _ files: [[String: Any]], by updatedBy: String? = "alice", project: String = "p1",
               extra: [String: Any] = [:], headers: HTTPFields = [:]) async throws -> TestResponse {
        var body: [String: Any] = ["files": files]
        if let updatedBy { body["updated_by"] = updatedBy }
        for (field, value) in extra { body[field] = value }
        return try await client.send(.post, "/api/projects/\(project)/batch/", json: body, headers: headers)
    }

    @Test func aBatchIsOneCommitAndTheReplyListsEachFile() async throws {
        let fixture = try ServerFixture()
        let repository = fixture.storeConfiguration.repositoryPath
        let commit = try await fixture.withServer { client in
            let saved = try await batch(client, [
                ["type": "prd", "content": "# Checkout\n", "metadata": ["prd_id": 7]],
                ["type": "prd", "name": "pricing", "content": "# Pricing\n"],
                ["type": "implementation", "content": "1. Cart\n"],
            ], extra: ["message": "Plan the quarter", "email": "alice@example.com"])
            #expect(saved.status == .ok, "\(saved.text)")
            #expect(saved.object["project_id"] as? String == "p1" && saved.object["changed"] as? Bool == true)
            let files = saved.object["files"] as? [[String: Any]] ?? []
            #expect(files.map { $0["file_key"] as? String } == ["p1/prd/main_prd.json", "p1/prd/pricing.json", "p1/implementation/implementation_plan.json"])
            #expect(files.allSatisfy { $0["commit"] as? String == saved.commit && $0["created"] as? Bool == true && $0["action"] as? String == "create" })
            #expect(try await client.send(.get, "/api/projects/p1/prd/?name=pricing").object["content"] as? String == "# Pricing\n")

            // Without the trailing slash too; an update, a delete and an unchanged file in one commit.
            // (A file is unchanged when its content, metadata and author are: the envelope names who saved it.)
            let next = try await client.send(.post, "/api/projects/p1/batch", json: ["updated_by": "alice", "files": [
                ["type": "prd", "content": "# Checkout v2\n", "metadata": ["prd_id": 7]],
                ["type": "prd", "name": "pricing", "delete": true],
                ["type": "implementation", "content": "1. Cart\n", "delete": false],
            ]])
            #expect(next.status == .ok, "\(next.text)")
            let results = next.object["files"] as? [[String: Any]] ?? []
            #expect(results.map { $0["action"] as? String } == ["update", "delete", nil])
            #expect(results.map { $0["changed"] as? Bool } == [true, true, false])
            #expect(results.last?["commit"] as? String == saved.commit, "an unchanged file reports its current commit")
            #expect(try await client.send(.get, "/api/projects/p1/prd/?name=pricing").status == .notFound)

            let nothing = try await batch(client, [["type": "implementation", "content": "1. Cart\n"]])
            #expect(nothing.status == .ok && nothing.object["changed"] as? Bool == false)
            #expect(nothing.object["commit"] is NSNull, "commit is null when nothing was committed")
            return next.commit
        }
        let commits = try fixture.gitCommits()
        #expect(commits.count == 2 && commits.first == commit, "one commit per batch that changed something")
        #expect(try git("-C", repository, "log", "--format=%an <%ae>|%s", "main") == "alice <alice@users.folio.invalid>|Change 2 files\nalice <alice@example.com>|Change 3 files\n")
        #expect(try git("-C", repository, "show", "--format=%b", "--name-status", "HEAD~1").hasPrefix("Plan the quarter\n"))
    }

    @Test func anInvalidFileIsNamedAndNothingIsWritten() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "one\ntwo\nthree\n")
            let good: [String: Any] = ["type": "prd", "name": "fine", "content": "valid\n"]
            let cases: [(String, Any, HTTPResponse.Status, String)] = [
                ("unknown type", [good, ["type": "memo", "content": "x"]], .badRequest, "files[1].type"),
                ("bad name", [["type": "prd", "name": "../x", "content": "x"], good], .badRequest, "files[0].name"),
                ("no content", [good, ["type": "implementation"]], .badRequest, "files[1].content"),
                ("delete not a boolean", [["type": "prd", "delete": "yes"]], .badRequest, "files[0].delete"),
                ("metadata not an object", [["type": "prd", "content": "x", "metadata": "x"]], .badRequest, "files[0].metadata"),
                ("entry not an object", [good, "p1/prd/x.json"], .badRequest, "files[1]"),
                ("named twice", [good, ["type": "prd", "name": "fine", "content": "y"]], .badRequest, "files[1]"),
                ("delete of a missing file", [["type": "implementation", "delete": true], good], .notFound, "files[0]"),
                ("base_commit not hex", [["type": "prd", "content": "x", "base_commit": "zzzz"]], .badRequest, "files[0].base_commit"),
                ("base_commit unknown", [good, ["type": "prd", "content": "x", "base_commit": "abcdef0123"]], .notFound, "files[1].base_commit"),
                ("NUL in content", [["type": "prd", "content": "a\u{0}b"]], .badRequest, "files[0].content"),
                ("files not a list", ["type": "prd"], .badRequest, "files"),
                ("no files", [Any](), .badRequest, "files"),
            ]
            for (label, files, status, field) in cases {
                let refused = try await client.send(.post, "/api/projects/p1/batch/", json: ["updated_by": "bob", "files": files])
                #expect(refused.status == status, "\(label): \(refused.text)")
                #expect(refused.errorField == field, "\(label): \(refused.text)")
                if field.hasPrefix("files[") {
                    let message = refused.error["message"] as? String ?? ""
                    #expect(message.hasPrefix(String(field.prefix { $0 != "." })), "\(label): the message names the entry: \(message)")
                }
            }
            let noAuthor = try await batch(client, [good], by: nil)
            #expect(noAuthor.status == .badRequest && noAuthor.errorField == "updated_by")
            let badProject = try await batch(client, [good], project: "a.b")
            #expect(badProject.status == .badRequest && badProject.errorField == "project_id")

            // Overlapping edits since base_commit: 409 as for a single save, naming the file.
            _ = try await client.save("main_prd", "one\nTWO (alice)\nthree\n")
            let conflict = try await batch(client, [good, ["type": "prd", "content": "one\nTWO (bob)\nthree\n", "base_commit": first.commit]], by: "bob")
            #expect(conflict.status == .conflict && conflict.errorCode == "conflict" && conflict.errorField == "files[1]")
            #expect((conflict.error["message"] as? String)?.hasPrefix("files[1]: p1/prd/main_prd.json changed since the base commit") == true)
            let current = conflict.error["current"] as? [String: Any] ?? [:]
            let tip = try fixture.gitCommits().first
            #expect(current["content"] as? String == "one\nTWO (alice)\nthree\n" && current["commit"] as? String == tip)
            #expect((conflict.error["conflict"] as? String)?.contains("<<<<<<<") == true)
            #expect(try await client.send(.get, "/api/projects/p1/prd/?name=fine").status == .notFound, "nothing of the batch was written")
        }
        #expect(try fixture.gitCommits().count == 2, "only the two single saves made commits")
    }

    @Test func writesNeedAWritingTokenWhoseNameTheCommitRecords() async throws {
        let fixture = try ServerFixture(tokens: [
            APIToken(name: "product_app", token: "app-secret"), APIToken(name: "dashboard", token: "view-secret", readOnly: true),
            APIToken(name: "zoe", token: "zoe-secret", person: true),
        ])
        try await fixture.withServer { client in
            let files: [[String: Any]] = [["type": "prd", "content": "# PRD\n"], ["type": "implementation", "content": "# Plan\n"]]
            let anonymous = try await batch(client, files)
            #expect(anonymous.status == .unauthorized)
            let readOnly = try await batch(client, files, headers: [.authorization: "Bearer view-secret"])
            #expect(readOnly.status == .forbidden && readOnly.errorCode == "forbidden")
            let saved = try await batch(client, files, by: "alice", headers: [.authorization: "Bearer app-secret"])
            #expect(saved.status == .ok, "\(saved.text)")
            let history = try await client.send(.get, "/api/projects/p1/implementation/history/", headers: [.authorization: "Bearer view-secret"])
            #expect((history.object["revisions"] as? [[String: Any]])?.first?["token"] as? String == "product_app")
            // A person's token authors the commit whatever updated_by says, and may leave it out.
            let personal = try await batch(client, [["type": "prd", "content": "# PRD by Zoë\n"]], by: nil, headers: [.authorization: "Bearer zoe-secret"])
            #expect(personal.status == .ok, "\(personal.text)")
        }
        let repository = fixture.storeConfiguration.repositoryPath
        let authors = try git("-C", repository, "log", "--format=%an|%(trailers:key=Folio-Token,valueonly,separator=)", "main")
        #expect(authors.split(separator: "\n") == ["zoe|zoe", "alice|product_app"])
    }

    @Test func batchesHaveTheirOwnSizeLimits() async throws {
        let fixture = try ServerFixture { configuration in
            configuration.maxContentBytes = 1000
            configuration.maxBatchContentBytes = 2500
        }
        fixture.server.maxBatchContentBytes = 2500
        try await fixture.withServer { client in
            // Each file within FOLIO_MAX_CONTENT_BYTES, more than FOLIO_MAX_BATCH_BYTES in all: 413 from the store.
            let files = (0..<3).map { ["type": "prd", "name": "part\($0)", "content": String(repeating: "x", count: 900)] }
            let total = try await batch(client, files)
            #expect(total.status == .contentTooLarge && total.errorField == "files", "\(total.text)")
            #expect((total.error["message"] as? String)?.contains("FOLIO_MAX_BATCH_BYTES") == true)
            let one = try await batch(client, [["type": "prd", "content": String(repeating: "x", count: 1001)]])
            #expect(one.status == .contentTooLarge && one.errorField == "files[0].content")
            // A body past twice the batch limit plus 4 MiB is refused before it is parsed.
            let huge = try await batch(client, [["type": "prd", "content": String(repeating: "y", count: 4 * 1024 * 1024 + 6000)]])
            #expect(huge.status == .contentTooLarge && huge.errorField == "body", "\(huge.text.prefix(300))")
            // 1,000 files are taken; 1,001 are not.
            let many = (0...1000).map { ["type": "prd", "name": "f\($0)", "content": ""] }
            let tooMany = try await batch(client, many)
            #expect(tooMany.status == .badRequest && tooMany.errorField == "files")
            let thousand = try await batch(client, Array(many.prefix(1000)))
            #expect(thousand.status == .ok && (thousand.object["files"] as? [Any])?.count == 1000, "\(thousand.text.prefix(300))")
        }
        #expect(try fixture.gitCommits().count == 1)
    }
}
