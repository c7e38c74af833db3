@testable import FolioServer
import FolioStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Probes, and the OpenAPI document matching the routes the server answers.
@Suite struct HealthAndOpenAPITests {
    @Test func healthzAndReadyzReportTheProcessAndItsDependencies() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let live = try await client.send(.get, "/healthz")
            #expect(live.status == .ok && live.object["status"] as? String == "ok")
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .ok && ready.object["status"] as? String == "ready")
            let components = try #require(ready.object["components"] as? [[String: Any]])
            #expect(components.compactMap { $0["name"] as? String } == ["git", "catalog", "mirror"])
            #expect(components.allSatisfy { $0["ok"] as? Bool == true })
            #expect(try await client.send(.head, "/healthz").status == .ok)
        }
    }

    @Test func readyzSays503WhenTheMirrorCannotBeWritten() async throws {
        let fixture = try ServerFixture { configuration in
            // A regular file where a folder should be: the mirror cannot create its root.
            let blocker = (configuration.mediaRoot as NSString).deletingLastPathComponent + "/blocker"
            _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
            configuration.mediaRoot = blocker + "/media"
        }
        try await fixture.withServer { client in
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable && ready.object["status"] as? String == "unavailable")
            let mirror = (ready.object["components"] as? [[String: Any]])?.first { $0["name"] as? String == "mirror" }
            #expect(mirror?["ok"] as? Bool == false && (mirror?["error"] as? String)?.isEmpty == false)
            #expect(try await client.send(.get, "/healthz").status == .ok, "liveness does not depend on the mirror")
        }
    }

    /// The document as committed in the repository.
    var repositoryDocument: Data {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return try Data(contentsOf: root.appendingPathComponent("Sources/FolioServer/Resources/openapi.json"))
        }
    }

    /// A server without tokens asks for none: its document declares no security, no bearer scheme and no
    /// 401 or read-only-token 403; a server with tokens serves the repository's document unchanged.
    @Test func theDocumentDeclaresBearerSecurityExactlyWhenTokensAreConfigured() throws {
        let stored = try repositoryDocument
        #expect(OpenAPIController().document == stored)
        #expect(OpenAPIController(configuration: ServerConfiguration(tokens: [APIToken(name: "a", token: "t")])).document == stored)

        let open = try #require(OpenAPIController(configuration: ServerConfiguration()).document)
        let document = try #require(try JSONSerialization.jsonObject(with: open) as? [String: Any])
        let original = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: Any])
        #expect(document["security"] == nil && original["security"] != nil)
        let components = try #require(document["components"] as? [String: Any])
        #expect(components["securitySchemes"] == nil)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(paths.count == (original["paths"] as? [String: Any])?.count)
        var operations = 0
        for (path, item) in paths {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any])
                operations += 1
                #expect(operation["security"] == nil, "\(method) \(path)")
                let responses = try #require(operation["responses"] as? [String: Any])
                #expect(responses["401"] == nil, "\(method) \(path)")
                #expect(responses["200"] != nil, "\(method) \(path)")
                // The only 403 left is the presigned URL's own refusal.
                #expect(responses["403"] == nil || path.hasPrefix("/files/"), "\(method) \(path)")
            }
        }
        #expect(operations == 16)
        // Nothing the document still uses was taken out.
        let text = String(decoding: open, as: UTF8.self)
        for name in ["Unauthorized", "ReadOnlyToken", "WWWAuthenticate"] {
            #expect(!text.contains("#/components/responses/\(name)") && !text.contains("#/components/headers/\(name)"))
        }
    }

    /// What the contract fuzzer (Tests/contract) found the server accepting, or failing on, although the
    /// document refuses it: each is bad input (400) naming its field, and nothing is committed.
    @Test func inputsTheDocumentRefusesAreRefusedAsBadInput() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "v1")
            #expect(first.status == .created)
            let commits = try fixture.gitCommits()
            // Only what git trims from a name's ends (controls, spaces, . , : ; " ' \): was a 503.
            for name in [".", ";", "\u{0B}", "' \"", "\u{A0}.", "\\"] {
                let response = try await client.save("main_prd", "v2", by: name)
                #expect(response.status == .badRequest && response.errorField == "updated_by", "updated_by \(name.debugDescription)")
            }
            let email = try await client.save("main_prd", "v2", extra: ["email": ","])
            #expect(email.status == .badRequest && email.errorField == "email")
            // 200 characters is the limit, counted as Unicode scalars (this is 101 characters, 202 scalars).
            let combining = String(repeating: "e\u{301}", count: 101)
            let long = try await client.save("main_prd", "v2", by: combining)
            #expect(long.status == .badRequest && long.errorField == "updated_by")
            // NUL would end git's commit message, and its Folio trailers with it.
            let message = try await client.save("main_prd", "v2", extra: ["message": "a\u{0}b"])
            #expect(message.status == .badRequest && message.errorField == "message")
            let delete = try await client.send(.delete, "/api/projects/p1/prd/?name=main_prd&updated_by=alice&message=a%00b")
            #expect(delete.status == .badRequest && delete.errorField == "message")
            let restore = try await client.send(
                .post, "/api/projects/p1/prd/restore/", json: ["name": "main_prd", "commit": first.commit, "updated_by": ":"])
            #expect(restore.status == .badRequest && restore.errorField == "updated_by")
            #expect(try fixture.gitCommits() == commits, "nothing was committed")
            // Names with something git keeps are fine, also with trimmed characters around it.
            #expect(try await client.save("main_prd", "v3", by: " O'Brien, Jr. ").status == .ok)

            // Cursors are what the API hands out: digits without a sign or leading zero.
            for cursor in ["05", "+5", "0", "1234567890123456789", "x"] {
                let page = try await client.send(.get, "/api/projects/p1/prd/history/?name=main_prd&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                #expect(page.status == .badRequest && page.errorField == "cursor", "cursor \(cursor)")
            }
            #expect(try await client.send(.get, "/api/projects/p1/prd/history/?name=main_prd&cursor=5").status == .ok)
        }
    }

    @Test func theOpenAPIDocumentIsServedAndEveryDocumentedRouteAnswers() async throws {
        let fixture = try ServerFixture(tokens: [APIToken(name: "checker", token: "tok")])
        let auth: HTTPFields = [.authorization: "Bearer tok"]
        try await fixture.withServer { client in
            let served = try await client.send(.get, "/openapi.json")
            #expect(served.status == .ok && served.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(Data(served.body.readableBytesView) == (try repositoryDocument), "the served document is the one in the repository")
            let document = served.object
            #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(paths.count >= 11)

            let commit = try await client.save("main_prd", "for the route check", headers: auth).commit
            let values = ["pid": "p1", "type": "prd", "commit": commit, "project": "p1", "file": "main_prd.json"]
            var checked = 0
            for (template, operations) in paths.sorted(by: { $0.key < $1.key }) {
                var path = template
                for (name, value) in values { path = path.replacingOccurrences(of: "{\(name)}", with: value) }
                #expect(!path.contains("{"), "every path parameter has a sample value: \(template)")
                for method in ["get", "post", "delete", "put", "patch"] where operations[method] != nil {
                    // Empty bodies and missing parameters are fine: the point is that the route exists.
                    let response = try await client.send(HTTPRequest.Method(rawValue: method.uppercased())!, path, raw: method == "get" ? nil : "{}", headers: auth)
                    let noRoute = response.status == .notFound && (response.error["message"] as? String)?.hasPrefix("no route") == true
                    #expect(!noRoute && response.status != .methodNotAllowed, "\(method.uppercased()) \(template) answered \(response.status)")
                    checked += 1
                }
            }
            #expect(checked == 16, "every documented operation was called")

            // And the other way round: every route the router has is documented, except the web UI's HTML
            // pages under /ui, which are for browsers, and git's smart HTTP under /git, which is for git
            // (its protocol is git's own; Tests/git covers it).
            func normalized(_ path: String) -> String { path.hasSuffix("/") ? String(path.dropLast()) : path }
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "delete", "put", "patch"].contains($0) }.map { "\($0.uppercased()) \(normalized(path))" }
            })
            let router = buildRouter(store: fixture.store, configuration: fixture.server)
            let registered = Set(router.routes.filter { !$0.path.description.hasPrefix("/ui") && !$0.path.description.hasPrefix("/git") }.map { "\($0.method.rawValue) \(normalized($0.path.description))" })
            #expect(registered == documented)
        }
    }
}
