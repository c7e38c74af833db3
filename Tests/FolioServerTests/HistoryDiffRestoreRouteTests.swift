import FolioServer
import FolioStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// History paging, old revisions, diffs and restore over HTTP.
@Suite struct HistoryDiffRestoreRouteTests {
    @Test func historyPagesNewestFirstWithACursor() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            var commits: [String] = []
            for version in 1...5 {
                commits.append(try await client.save("main_prd", "version \(version)\n", by: "user\(version)", extra: ["message": "edit \(version)"]).commit)
            }
            let first = try await client.send(.get, "/api/projects/p1/prd/history/?limit=2")
            #expect(first.status == .ok && first.object["file_key"] as? String == "p1/prd/main_prd.json")
            let page1 = try #require(first.object["revisions"] as? [[String: Any]])
            #expect(page1.compactMap { $0["commit"] as? String } == [commits[4], commits[3]])
            #expect(page1.first?["seq"] as? Int == 5 && page1.first?["author"] as? String == "user5")
            #expect(page1.first?["message"] as? String == "edit 5" && page1.first?["action"] as? String == "update")
            #expect((page1.first?["size"] as? Int ?? 0) > 0 && page1.first?["committed_at"] is String)
            let cursor = try #require(first.object["next_cursor"] as? String)

            let second = try await client.send(.get, "/api/projects/p1/prd/history/?limit=2&cursor=\(cursor)")
            #expect((second.object["revisions"] as? [[String: Any]])?.compactMap { $0["commit"] as? String } == [commits[2], commits[1]])
            let lastCursor = try #require(second.object["next_cursor"] as? String)
            let last = try await client.send(.get, "/api/projects/p1/prd/history/?limit=2&cursor=\(lastCursor)")
            let lastPage = try #require(last.object["revisions"] as? [[String: Any]])
            #expect(lastPage.compactMap { $0["commit"] as? String } == [commits[0]])
            #expect(lastPage.first?["action"] as? String == "create")
            #expect(last.object["next_cursor"] is NSNull, "the last page says there is no more")

            let everything = try await client.send(.get, "/api/projects/p1/prd/history/")
            #expect((everything.object["revisions"] as? [Any])?.count == 5, "the default limit covers a short history")

            for (query, field) in [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("cursor=abc", "cursor")] {
                let refused = try await client.send(.get, "/api/projects/p1/prd/history/?\(query)")
                #expect(refused.status == .badRequest && refused.errorField == field, "\(query): \(refused.text)")
            }
            #expect(try await client.send(.get, "/api/projects/p1/prd/history/?name=missing").status == .notFound)
        }
    }

    @Test func aRevisionLoadsTheFileAsOfThatCommit() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "first", extra: ["metadata": ["prd_id": 1]]).commit
            _ = try await client.save("main_prd", "second", by: "bob")
            let old = try await client.send(.get, "/api/projects/p1/prd/revisions/\(first)")
            #expect(old.status == .ok)
            #expect(old.object["content"] as? String == "first" && old.object["commit"] as? String == first)
            #expect(old.object["updated_by"] as? String == "alice" && (old.object["metadata"] as? [String: Any])?["prd_id"] as? Int == 1)
            #expect(old.headers[.eTag] == "\"\(first)\"")
            let short = try await client.send(.get, "/api/projects/p1/prd/revisions/\(first.prefix(10))")
            #expect(short.object["content"] as? String == "first", "an abbreviated commit id works")

            let unknown = try await client.send(.get, "/api/projects/p1/prd/revisions/\(String(repeating: "ab", count: 20))")
            #expect(unknown.status == .notFound && unknown.errorField == "commit")
            let notHex = try await client.send(.get, "/api/projects/p1/prd/revisions/not-a-commit")
            #expect(notHex.status == .badRequest && notHex.errorField == "commit")
            let otherFile = try await client.send(.get, "/api/projects/p1/prd/revisions/\(first)?name=other")
            #expect(otherFile.status == .notFound, "the commit exists but holds no such file")
        }
    }

    @Test func diffComesAsUnifiedTextOrJSONInLineAndWordModes() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let c1 = try await client.save("main_prd", "line one\nline two\n", extra: ["metadata": ["prd_id": 1]]).commit
            let c2 = try await client.save("main_prd", "line one\nline 2\n", extra: ["metadata": ["prd_id": 2]]).commit

            let unified = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(c1)&to=\(c2)")
            #expect(unified.status == .ok)
            #expect(unified.headers[.contentType]?.hasPrefix("text/x-diff") == true)
            #expect(unified.text.contains("-line two\n+line 2\n") && unified.text.contains("@@"))
            let toCurrent = try await client.send(.get, "/api/projects/p1/prd/diff?from=\(c1)&format=unified&mode=line")
            #expect(toCurrent.text == unified.text, "to defaults to the current version")

            let words = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(c1)&to=\(c2)&mode=word")
            #expect(words.text == "line one\nline [-two-]{+2+}\n")

            let json = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(c1)&to=\(c2)&format=json")
            #expect(json.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(json.object["from"] as? String == c1 && json.object["to"] as? String == c2 && json.object["mode"] as? String == "line")
            #expect(json.object["additions"] as? Int == 1 && json.object["deletions"] as? Int == 1)
            let hunks = try #require(json.object["hunks"] as? [[String: Any]])
            let lines = try #require(hunks.first?["lines"] as? [[String: Any]])
            #expect(lines.contains { $0["origin"] as? String == "-" && $0["text"] as? String == "line two" })
            #expect(lines.contains { $0["origin"] as? String == "+" && $0["text"] as? String == "line 2" })
            let changes = try #require(json.object["metadata_changes"] as? [[String: Any]])
            #expect(changes.count == 1 && changes.first?["key"] as? String == "prd_id" && changes.first?["from"] as? Int == 1 && changes.first?["to"] as? Int == 2)

            let wordJSON = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(c1)&to=\(c2)&mode=word&format=json")
            let segments = try #require(wordJSON.object["segments"] as? [[String: Any]])
            #expect(segments.contains { $0["op"] as? String == "delete" && $0["text"] as? String == "two" })
            #expect(segments.contains { $0["op"] as? String == "insert" && $0["text"] as? String == "2" })
            #expect(wordJSON.object["hunks"] == nil)

            for (query, status, field) in [
                ("", 400, "from"), ("from=\(c1)&mode=char", 400, "mode"), ("from=\(c1)&format=html", 400, "format"),
                ("from=xyz", 400, "from"), ("from=\(String(repeating: "0", count: 40))", 404, "from"), ("from=\(c1)&to=ffff", 404, "to"),
            ] {
                let refused = try await client.send(.get, "/api/projects/p1/prd/diff/?\(query)")
                #expect(refused.status.code == status && refused.errorField == field, "\(query): \(refused.status) \(refused.text)")
            }
        }
    }

    @Test func restoreMakesAnOldRevisionCurrentAlsoForADeletedFile() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let c1 = try await client.save("main_prd", "the good version", extra: ["metadata": ["prd_id": 4]]).commit
            _ = try await client.save("main_prd", "a bad edit")
            let restored = try await client.send(.post, "/api/projects/p1/prd/restore/", json: ["commit": c1, "updated_by": "dave"])
            #expect(restored.status == .ok)
            #expect(restored.object["action"] as? String == "restore" && restored.object["changed"] as? Bool == true)
            let loaded = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(loaded.object["content"] as? String == "the good version" && loaded.object["updated_by"] as? String == "dave")
            #expect((loaded.object["metadata"] as? [String: Any])?["prd_id"] as? Int == 4)

            _ = try await client.send(.delete, "/api/projects/p1/prd/?updated_by=erin")
            #expect(try await client.send(.get, "/api/projects/p1/prd/").status == .notFound)
            let back = try await client.send(.post, "/api/projects/p1/prd/restore", json: ["name": "main_prd", "commit": c1, "updated_by": "frank"])
            #expect(back.status == .ok && back.object["created"] as? Bool == true)
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["content"] as? String == "the good version")
            fixture.store.flushMirror()
            #expect(FileManager.default.fileExists(atPath: fixture.mirrorPath("p1/prd/main_prd.json")))

            let history = try await client.send(.get, "/api/projects/p1/prd/history/")
            #expect((history.object["revisions"] as? [[String: Any]])?.compactMap { $0["action"] as? String } == ["restore", "delete", "restore", "update", "create"])

            let noAuthor = try await client.send(.post, "/api/projects/p1/prd/restore/", json: ["commit": c1])
            #expect(noAuthor.status == .badRequest && noAuthor.errorField == "updated_by")
            let noCommit = try await client.send(.post, "/api/projects/p1/prd/restore/", json: ["updated_by": "x"])
            #expect(noCommit.status == .badRequest && noCommit.errorField == "commit")
            let unknown = try await client.send(.post, "/api/projects/p1/prd/restore/", json: ["commit": "abcdef0", "updated_by": "x"])
            #expect(unknown.status == .notFound && unknown.errorField == "commit")
        }
    }
}
