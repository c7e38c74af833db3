import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Bearer tokens from FOLIO_API_TOKENS and the loopback-only rule without them.
@Suite struct AuthTests {
    let tokens = [APIToken(name: "product_app", token: "app-secret-1"), APIToken(name: "dashboard", token: "view-secret-2", readOnly: true)]

    @Test func requestsWithoutAValidTokenGet401() async throws {
        let fixture = try ServerFixture(tokens: tokens)
        try await fixture.withServer { client in
            let cases: [HTTPFields] = [[:], [.authorization: "Bearer wrong"], [.authorization: "Basic YXBwOmFwcC1zZWNyZXQtMQ=="],
                                       [.authorization: "Bearer app-secret-"], [.authorization: "Bearer app-secret-12"]]
            for headers in cases {
                let refused = try await client.send(.get, "/api/projects/p1/prd/", headers: headers)
                #expect(refused.status == .unauthorized && refused.errorCode == "unauthorized", "\(headers)")
                #expect(refused.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                let write = try await client.save("main_prd", "x", headers: headers)
                #expect(write.status == .unauthorized)
            }
            #expect(try await client.send(.get, "/healthz").status == .ok, "probes need no token")
            #expect(try await client.send(.get, "/readyz").status == .ok)
            #expect(try await client.send(.get, "/openapi.json").status == .ok)
        }
        #expect(try fixture.gitCommits().isEmpty, "nothing was written")
    }

    @Test func aReadOnlyTokenMayReadButNotWrite() async throws {
        let fixture = try ServerFixture(tokens: tokens)
        let app: HTTPFields = [.authorization: "Bearer app-secret-1"]
        let viewer: HTTPFields = [.authorization: "bearer view-secret-2"]
        try await fixture.withServer { client in
            let saved = try await client.save("main_prd", "by the app", headers: app)
            #expect(saved.status == .created)
            let read = try await client.send(.get, "/api/projects/p1/prd/", headers: viewer)
            #expect(read.status == .ok && read.object["content"] as? String == "by the app")
            #expect(try await client.send(.get, "/api/projects/p1/files/", headers: viewer).status == .ok)
            #expect(try await client.send(.get, "/api/projects/p1/prd/history/", headers: viewer).status == .ok)

            let write = try await client.save("main_prd", "by the dashboard", headers: viewer)
            #expect(write.status == .forbidden && write.errorCode == "forbidden")
            let delete = try await client.send(.delete, "/api/projects/p1/prd/?updated_by=x", headers: viewer)
            #expect(delete.status == .forbidden)
            let restore = try await client.send(.post, "/api/projects/p1/prd/restore/", json: ["commit": saved.commit, "updated_by": "x"], headers: viewer)
            #expect(restore.status == .forbidden)
            #expect(try await client.send(.get, "/api/projects/p1/prd/", headers: app).object["content"] as? String == "by the app")

            // A delete without updated_by is authored by the token's holder.
            let deleted = try await client.send(.delete, "/api/projects/p1/prd/", headers: app)
            #expect(deleted.status == .ok)
        }
        #expect(try fixture.gitCommits().count == 2)
        #expect(try git("-C", fixture.storeConfiguration.repositoryPath, "log", "-1", "--format=%an") == "product_app\n")
    }

    @Test func tokensAreParsedFromNameTokenAndAnOptionalReadOnlyFlag() throws {
        let parsed = try APIToken.parseList(" app:s3cret , viewer:abc:ro,,ops:xyz:rw ")
        #expect(parsed == [APIToken(name: "app", token: "s3cret"), APIToken(name: "viewer", token: "abc", readOnly: true), APIToken(name: "ops", token: "xyz")])
        #expect(try APIToken.parseList("").isEmpty)
        for bad in ["app", "app:", ":token", "app:tok:admin", "a:b:ro:x", "a:same,b:same"] {
            #expect(throws: StoreError.self, "\(bad)") { try APIToken.parseList(bad) }
        }
        do {
            _ = try APIToken.parseList("app:hunter2:root")
        } catch let error as StoreError {
            #expect(!error.message.contains("hunter2"), "errors never repeat a secret")
            #expect(error.field == "FOLIO_API_TOKENS")
        }
    }

    @Test func withoutTokensOnlyLoopbackMayBeBound() throws {
        for host in ["127.0.0.1", "localhost", "::1", "127.0.0.2"] {
            #expect(throws: Never.self) { try ServerConfiguration(host: host).validate() }
        }
        for host in ["0.0.0.0", "::", "192.168.1.20", "folio.example.com", "127.0.0.1.example.com"] {
            let error = #expect(throws: StoreError.self) { try ServerConfiguration(host: host).validate() }
            #expect(error?.message.contains("FOLIO_API_TOKENS") == true)
            #expect(throws: Never.self) { try ServerConfiguration(host: host, tokens: tokens).validate() }
        }
        #expect(throws: StoreError.self) { try ServerConfiguration(port: 70_000).validate() }
    }

    @Test func theEnvironmentConfiguresHostPortTokensAndLimits() throws {
        var store = StoreConfiguration.rooted(at: "/tmp/unused")
        store.maxContentBytes = 1234
        let configuration = try ServerConfiguration.fromEnvironment(
            ["FOLIO_HOST": "0.0.0.0", "FOLIO_PORT": "9090", "FOLIO_API_TOKENS": "app:t1", "FOLIO_PUBLIC_URL": "https://docs.example.com/"], store: store)
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9090 && configuration.maxContentBytes == 1234)
        #expect(configuration.tokens == [APIToken(name: "app", token: "t1")])
        #expect(configuration.publicURL == "https://docs.example.com")
        let defaults = try ServerConfiguration.fromEnvironment([:], store: store)
        #expect(defaults.host == "127.0.0.1" && defaults.port == 8080 && defaults.tokens.isEmpty && !defaults.requiresAuthentication)
        #expect(throws: StoreError.self) { try ServerConfiguration.fromEnvironment(["FOLIO_PORT": "http"], store: store) }
        #expect(throws: StoreError.self) { try ServerConfiguration.fromEnvironment(["FOLIO_PUBLIC_URL": "folio.example.com"], store: store) }
    }

    @Test func everyCommitRecordsItsTokenAndAPersonsTokenIsTheAuthor() async throws {
        let people = tokens + [APIToken(name: "jane", token: "jane-secret-3", person: true)]
        let fixture = try ServerFixture(tokens: people)
        try await fixture.withServer { client in
            // The app saves for its users: updated_by is the author, the token is recorded beside it.
            let byApp = try await client.save("main_prd", "from the app", by: "john_doe", headers: [.authorization: "Bearer app-secret-1"])
            #expect(byApp.status == .created)
            // Jane's own token: whatever updated_by claims, Jane is the author.
            let byJane = try await client.save("main_prd", "from jane", by: "someone_else", headers: [.authorization: "Bearer jane-secret-3"])
            #expect(byJane.status == .ok)
            let history = try await client.send(.get, "/api/projects/p1/prd/history/", headers: [.authorization: "Bearer view-secret-2"])
            let entries = try #require(history.object["revisions"] as? [[String: Any]])
            #expect(entries.map { $0["author"] as? String } == ["jane", "john_doe"])
            #expect(entries.map { $0["token"] as? String } == ["jane", "product_app"])
        }
        let log = try git("-C", fixture.storeConfiguration.repositoryPath, "log", "--format=%an|%(trailers:key=Folio-Token,valueonly)", "main")
        #expect(log == "jane|jane\n\njohn_doe|product_app\n\n", "the token is a trailer of each commit: \(log)")
        // And it survives a rebuild of the catalog from git.
        try fixture.store.reindex()
        let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
        #expect(try fixture.store.history(key).revisions.map(\.token) == ["jane", "product_app"])
    }

    @Test func personIsATokenFlag() throws {
        let parsed = try APIToken.parseList("app:s1,jane:s2:person,viewer:s3:ro,ann:s4:rw:person")
        #expect(parsed.map(\.person) == [false, true, false, true])
        #expect(parsed.map(\.readOnly) == [false, false, true, false])
        #expect(throws: StoreError.self) { try APIToken.parseList("bob:s5:admin") }
    }
}
