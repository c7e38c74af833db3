import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// HMAC-signed URLs that name a commit, served by Folio itself (that version exactly) until they expire.
@Suite struct PresignedURLTests {
    /// The path and query of an absolute URL, to request it from the test server.
    func pathAndQuery(_ url: String) throws -> String {
        let components = try #require(URLComponents(string: url))
        return components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
    }

    @Test func aPresignedURLDownloadsTheMirroredFileUntilItExpires() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            _ = try await client.save("main_prd", "shared with a reviewer", extra: ["metadata": ["prd_id": 5]])
            let before = Date()
            let signed = try await client.send(.get, "/api/projects/p1/prd/url/")
            #expect(signed.status == .ok)
            let url = try #require(signed.object["url"] as? String)
            let saved = try await client.send(.get, "/api/projects/p1/prd/")
            let commit = try #require(saved.object["commit"] as? String)
            #expect(url.hasPrefix("/files/p1/prd/main_prd.json?commit=\(commit)&expires="), "a path naming the commit, not built from Host: \(url)")
            #expect(url.contains("&signature="))
            let expiresAt = try #require((signed.object["expires_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            #expect(abs(expiresAt.timeIntervalSince(before) - 3600) < 60, "the default lifetime is FOLIO_PRESIGN_EXPIRES, 3600 s")

            let download = try await client.send(.get, try pathAndQuery(url))
            #expect(download.status == .ok)
            fixture.store.flushMirror()
            let mirrored = try #require(FileManager.default.contents(atPath: fixture.mirrorPath("p1/prd/main_prd.json")))
            #expect(Data(download.body.readableBytesView) == mirrored, "the bytes are the mirrored envelope")
            #expect(download.text.contains("\"content\": \"shared with a reviewer\""))

            // The shortest lifetime the route accepts is one second.
            let short = try await client.send(.get, "/api/projects/p1/prd/url/?expires=1")
            #expect(short.status == .ok)
            #expect((short.object["url"] as? String)?.contains("&signature=") == true)
            // A one-second URL signed five seconds ago has expired: no need to wait for one to run out.
            let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
            let lapsed = try fixture.store.presignedURL(for: key, expires: 1, now: Date().addingTimeInterval(-5))
            #expect(lapsed.expiresAt < Date())
            let expired = try await client.send(.get, lapsed.url)
            #expect(expired.status == .forbidden && expired.errorCode == "forbidden")
            #expect((expired.error["message"] as? String)?.contains("expired") == true)
        }
    }

    @Test func aTamperedOrExpiredURLIsRefusedWith403() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            _ = try await client.save("main_prd", "secret plan")
            _ = try await client.save("other", "another file")
            let signed = try await client.send(.get, "/api/projects/p1/prd/url/?expires=600")
            let good = try pathAndQuery(try #require(signed.object["url"] as? String))
            #expect(try await client.send(.get, good).status == .ok)

            let components = try #require(URLComponents(string: good))
            let expires = try #require(components.queryItems?.first { $0.name == "expires" }?.value)
            let commit = try #require(components.queryItems?.first { $0.name == "commit" }?.value)
            let otherCommit = try #require((try await client.send(.get, "/api/projects/p1/prd/?name=other")).object["commit"] as? String)
            let signature = try #require(components.queryItems?.first { $0.name == "signature" }?.value)
            let flipped = String(signature.dropLast()) + (signature.hasSuffix("0") ? "1" : "0")
            let tampered = [
                "/files/p1/prd/main_prd.json?commit=\(commit)&expires=\(expires)&signature=\(flipped)",
                "/files/p1/prd/main_prd.json?commit=\(commit)&expires=\(Int(expires)! + 86_400)&signature=\(signature)",
                "/files/p1/prd/other.json?commit=\(commit)&expires=\(expires)&signature=\(signature)",
                "/files/p1/prd/main_prd.json?commit=\(otherCommit)&expires=\(expires)&signature=\(signature)",
                "/files/p1/prd/main_prd.json?expires=\(expires)&signature=\(signature)",
                "/files/p1/prd/main_prd.json?commit=\(commit)&expires=\(expires)",
                "/files/p1/prd/main_prd.json",
                "/files/p1/prd/main_prd.json?commit=\(commit)&expires=soon&signature=\(signature)",
            ]
            for url in tampered {
                let refused = try await client.send(.get, url)
                #expect(refused.status == .forbidden && refused.errorCode == "forbidden", "\(url): \(refused.status)")
                #expect(!refused.text.contains("secret plan"))
            }

            // Signed correctly, but an hour ago for one minute.
            let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
            let old = try fixture.store.presignedURL(for: key, expires: 60, now: Date().addingTimeInterval(-3600))
            let expired = try await client.send(.get, old.url)
            #expect(expired.status == .forbidden)
            #expect((expired.error["message"] as? String)?.contains("expired") == true)
        }
    }

    @Test func expiresOutsideOneSecondToSevenDaysIsRefused() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            _ = try await client.save("main_prd", "x")
            for value in ["0", "-5", "604801", "forever"] {
                let refused = try await client.send(.get, "/api/projects/p1/prd/url/?expires=\(value)")
                #expect(refused.status == .badRequest && refused.errorField == "expires", "expires=\(value)")
            }
            let longest = try await client.send(.get, "/api/projects/p1/prd/url/?expires=604800")
            #expect(longest.status == .ok)
            let missing = try await client.send(.get, "/api/projects/p1/prd/url/?name=absent")
            #expect(missing.status == .notFound)
        }
    }

    @Test func theSecretIsKeptInTheDataFolderSoURLsSurviveARestart() async throws {
        let fixture = try ServerFixture()
        fixture.server.publicURL = "https://folio.example.com"
        let url = try await fixture.withServer { client in
            _ = try await client.save("main_prd", "durable")
            let signed = try await client.send(.get, "/api/projects/p1/prd/url/")
            return try #require(signed.object["url"] as? String)
        }
        #expect(url.hasPrefix("https://folio.example.com/files/p1/prd/main_prd.json?"), "FOLIO_PUBLIC_URL is the base: \(url)")
        let secret = fixture.storeConfiguration.presignSecretPath
        let attributes = try FileManager.default.attributesOfItem(atPath: secret)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "only the owner may read the secret")
        try fixture.reopen()
        let path = try pathAndQuery(url)
        try await fixture.withServer { client in
            #expect(try await client.send(.get, path).status == .ok)
            _ = try await client.send(.delete, "/api/projects/p1/prd/?updated_by=a")
            #expect(try await client.send(.get, path).status == .notFound, "a deleted file is gone from its URL too")
        }
    }

    @Test func aURLServesTheVersionItWasMadeForEvenAfterLaterSaves() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            _ = try await client.save("main_prd", "first version")
            let signed = try await client.send(.get, "/api/projects/p1/prd/url/")
            let url = try #require(signed.object["url"] as? String)
            _ = try await client.save("main_prd", "second version")
            let download = try await client.send(.get, url)
            #expect(download.status == .ok)
            #expect(download.text.contains("first version") && !download.text.contains("second version"), "never a later version")
            // Deleted since: gone from its URLs too, as from the mirror.
            _ = try await client.send(.delete, "/api/projects/p1/prd/?name=main_prd&updated_by=alice")
            #expect(try await client.send(.get, url).status == .notFound)
        }
    }

    @Test func theHostHeaderMakesURLsAbsoluteOnlyWhenAllowed() async throws {
        let folder = TemporaryDirectory("presign-host")
        let server = try ServeProcess(["--port", "0"], environment: ["FOLIO_ALLOWED_HOSTS": "folio.internal:8080"], directory: folder.path)
        let (_, port) = try await server.listening()
        func send(_ head: String, body: String = "") throws -> String {
            let connection = try RawHTTPConnection(port: port)
            try connection.write(Data((head + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8))
            return connection.readAll(timeout: 10)
        }
        let saved = try send("POST /api/projects/p1/prd/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n",
                             body: #"{"content": "x", "updated_by": "ann"}"#)
        #expect(saved.hasPrefix("HTTP/1.1 201"), "\(saved)")
        let forged = try send("GET /api/projects/p1/prd/url/ HTTP/1.1\r\nHost: evil.example\r\n")
        #expect(forged.contains(#""url":"\/files\/p1\/prd\/main_prd.json?commit="#) || forged.contains(#""url":"/files/p1/prd/main_prd.json?commit="#),
                "a Host nobody allowed is not used: \(forged)")
        #expect(!forged.contains("evil.example"))
        let allowed = try send("GET /api/projects/p1/prd/url/ HTTP/1.1\r\nHost: folio.internal:8080\r\n")
        #expect(allowed.contains("http:\\/\\/folio.internal:8080\\/files\\/p1") || allowed.contains("http://folio.internal:8080/files/p1"), "\(allowed)")
    }
}
