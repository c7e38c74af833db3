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
            #expect(checked == 13, "every documented operation was called")

            // And the other way round: every route the router has is documented.
            func normalized(_ path: String) -> String { path.hasSuffix("/") ? String(path.dropLast()) : path }
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "delete", "put", "patch"].contains($0) }.map { "\($0.uppercased()) \(normalized(path))" }
            })
            let router = buildRouter(store: fixture.store, configuration: fixture.server)
            let registered = Set(router.routes.map { "\($0.method.rawValue) \(normalized($0.path.description))" })
            #expect(registered == documented)
        }
    }
}
