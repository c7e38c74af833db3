import FolioServer
import FolioStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Refusals: too large, malformed, mistyped or invalid input gets 400/404/413 naming the field, and
/// nothing is written; unknown routes get a JSON 404.
@Suite struct BadInputTests {
    @Test func contentOverTheLimitGets413AndNothingIsWritten() async throws {
        let fixture = try ServerFixture { $0.maxContentBytes = 64 }
        try await fixture.withServer { client in
            let atLimit = try await client.save("main_prd", String(repeating: "a", count: 64))
            #expect(atLimit.status == .created)
            let over = try await client.save("main_prd", String(repeating: "b", count: 65))
            #expect(over.status == .contentTooLarge && over.errorCode == "too_large" && over.errorField == "content")
            #expect((over.error["message"] as? String)?.contains("FOLIO_MAX_CONTENT_BYTES") == true)
            // Far over: refused from the body size alone, before any decoding.
            let huge = try await client.save("main_prd", String(repeating: "c", count: 300_000))
            #expect(huge.status == .contentTooLarge && huge.errorCode == "too_large")
            // Escaping doubles newlines on the wire; the limit is on the content, not its encoding.
            let escaped = try await client.save("main_prd", String(repeating: "\n", count: 64))
            #expect(escaped.status == .ok)
        }
        #expect(try fixture.gitCommits().count == 2)
    }

    @Test func malformedOrMistypedBodiesGet400NamingTheField() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let raw: [(String, String)] = [
                (#"{"content": "x", "updated_by": "#, "body"),
                ("[1, 2]", "body"),
                ("", "body"),
                ("content=x&updated_by=y", "body"),
                (#"{"content": 5, "updated_by": "a"}"#, "content"),
                (#"{"updated_by": "a"}"#, "content"),
                (#"{"content": "x"}"#, "updated_by"),
                (#"{"content": "x", "updated_by": null}"#, "updated_by"),
                (#"{"content": "x", "updated_by": ""}"#, "updated_by"),
                (#"{"content": "x", "updated_by": ["a"]}"#, "updated_by"),
                (#"{"content": "x", "updated_by": "a\nb"}"#, "updated_by"),
                (#"{"content": "x", "updated_by": "a", "metadata": [1]}"#, "metadata"),
                (#"{"content": "x", "updated_by": "a", "metadata": "prd_id=1"}"#, "metadata"),
                (#"{"content": "x", "updated_by": "a", "name": 7}"#, "name"),
                (#"{"content": "x", "updated_by": "a", "name": ".hidden"}"#, "name"),
                (#"{"content": "x", "updated_by": "a", "name": "a/b"}"#, "name"),
                (#"{"content": "x", "updated_by": "a", "name": ""}"#, "name"),
                (#"{"content": "x", "updated_by": "a", "message": false}"#, "message"),
                (#"{"content": "nul \u0000 inside", "updated_by": "a"}"#, "content"),
                (#"{"content": "x", "updated_by": "a", "base_commit": "not hex"}"#, "base_commit"),
            ]
            for (body, field) in raw {
                let refused = try await client.send(.post, "/api/projects/p1/prd/", raw: body)
                #expect(refused.status == .badRequest && refused.errorCode == "invalid_input", "\(body): \(refused.status) \(refused.text)")
                #expect(refused.errorField == field, "\(body): \(refused.text)")
                #expect((refused.error["message"] as? String)?.isEmpty == false)
            }
            let notUTF8 = try await client.executeRequest(
                uri: "/api/projects/p1/prd/", method: .post, headers: [:], body: ByteBuffer(bytes: Array(#"{"content": ""#.utf8) + [0xFF, 0xFE] + Array(#"", "updated_by": "a"}"#.utf8)))
            #expect(notUTF8.status == .badRequest && notUTF8.errorField == "body")

            let unknownBase = try await client.save("main_prd", "x", extra: ["base_commit": String(repeating: "9", count: 40)])
            #expect(unknownBase.status == .notFound && unknownBase.errorField == "base_commit")
        }
        #expect(try fixture.gitCommits().isEmpty, "no refused request wrote anything")
    }

    @Test func invalidProjectTypeOrNameInThePathOrQueryGet400() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let cases: [(String, String)] = [
                ("/api/projects/bad.project/prd/", "project_id"),
                ("/api/projects/%2E%2E/prd/", "project_id"),
                ("/api/projects/\(String(repeating: "p", count: 65))/prd/", "project_id"),
                ("/api/projects/p1/design/", "type"),
                ("/api/projects/p1/PRD/", "type"),
                ("/api/projects/p1/prd/?name=..%2Fescape", "name"),
                ("/api/projects/p1/prd/?name=.git", "name"),
                ("/api/projects/p1/prd/?name=", "name"),
                ("/api/projects/p1/prd/history/?name=a%2Fb", "name"),
                ("/api/projects/bad%20id/files/", "project_id"),
            ]
            for (uri, field) in cases {
                let refused = try await client.send(.get, uri)
                #expect(refused.status == .badRequest && refused.errorField == field, "\(uri): \(refused.status) \(refused.text)")
                let write = try await client.send(.post, uri, json: ["content": "x", "updated_by": "a"])
                #expect([.badRequest, .notFound, .methodNotAllowed].contains(write.status), "\(uri): \(write.status)")
            }
        }
        #expect(try fixture.gitCommits().isEmpty)
    }

    @Test func unknownRoutesGetAJSON404AndWrongMethodsA405WithAllow() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/nope"), (.get, "/api/projects/p1/prd/unknown/"), (.get, "/api")] {
                let missing = try await client.send(method, uri)
                #expect(missing.status == .notFound, "\(method) \(uri)")
                #expect(missing.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(missing.errorCode == "not_found" && (missing.error["message"] as? String)?.hasPrefix("no route") == true)
            }
            let wrongMethods: [(HTTPRequest.Method, String, String)] = [
                (.put, "/api/projects/p1/prd/", "DELETE, GET, HEAD, POST"),
                (.post, "/api/projects/p1/files/", "GET, HEAD"),
                (.delete, "/healthz", "GET, HEAD"),
                (.patch, "/api/projects/p1/implementation/history/", "GET, HEAD"),
                (.get, "/api/projects/p1/prd/restore/", "POST"),
            ]
            for (method, uri, allowed) in wrongMethods {
                let refused = try await client.send(method, uri)
                #expect(refused.status == .methodNotAllowed && refused.errorCode == "method_not_allowed", "\(method) \(uri): \(refused.status)")
                #expect(refused.headers[.allow] == allowed, "\(method) \(uri)")
                #expect(refused.headers[.contentType]?.hasPrefix("application/json") == true)
            }
        }
    }
}
