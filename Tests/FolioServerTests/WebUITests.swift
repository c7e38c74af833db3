import FolioServer
import FolioStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The web UI over a real socket: pages, escaping, security headers, CSRF, sign-in and restore.
@Suite struct WebUITests {
    let tokens = [APIToken(name: "pm_alice", token: "alice-secret"), APIToken(name: "viewer", token: "viewer-secret", readOnly: true)]

    @Test func pagesRenderMarkdownAndEscapeEverythingElse() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let content = "# Roadmap\n\n- [x] ship\n\n<script>alert('x')</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
            let saved = try await client.save("main_prd", content, extra: ["message": "<img src=x onerror=alert(1)>"])
            #expect(saved.status == .created)
            let page = try await client.send(.get, "/ui/projects/p1/prd/main_prd")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.text.contains("<h1>Roadmap</h1>"))
            #expect(page.text.contains("<table>"))
            #expect(!page.text.contains("<script>alert"), "raw HTML in content never reaches the page")
            #expect(!page.text.contains("<img src=x"), "the message is escaped")
            #expect(page.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
            let scripts = page.text.components(separatedBy: "<script").count - 1
            #expect(scripts == 1 && page.text.contains("<script src=\"/ui/static/folio.js\" defer></script>"), "only Folio's own script file")

            let projects = try await client.send(.get, "/ui/")
            #expect(projects.status == .ok && projects.text.contains("href=\"/ui/projects/p1\""))
            let project = try await client.send(.get, "/ui/projects/p1")
            #expect(project.text.contains("main_prd") && project.text.contains("alice"))
            let css = try await client.send(.get, "/ui/static/folio.css")
            #expect(css.status == .ok && css.text.contains("prefers-color-scheme: dark"))
        }
    }

    @Test func compareMarksTheChangedWordsAndFoldsUnchangedStretches() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            var lines = (1...40).map { "line \($0) stays" }
            let first = try await client.save("main_prd", lines.joined(separator: "\n") + "\n").commit
            lines[19] = "line 20 changes quickly"
            let second = try await client.save("main_prd", lines.joined(separator: "\n") + "\n", extra: ["metadata": ["prd_id": 7]]).commit
            let page = try await client.send(.get, "/ui/projects/p1/prd/main_prd/compare?from=\(first)&to=\(second)")
            #expect(page.status == .ok)
            #expect(page.text.contains("<mark>stays</mark>"))
            #expect(page.text.contains("<mark>changes quickly</mark>"))
            #expect(page.text.contains("16 unchanged lines"), "the stretches before and after the change are folded to 3 lines of context")
            #expect(!page.text.contains("line 5 stays"))
            #expect(page.text.contains("prd_id"), "metadata changes are listed")
            let unfolded = try await client.send(.get, "/ui/projects/p1/prd/main_prd/compare?from=\(first)&to=\(second)&unfold=all&view=inline")
            #expect(unfolded.text.contains("line 5 stays") && unfolded.text.contains("diff inline"))
            // Without `from`, a revision is compared with the one before it.
            let parent = try await client.send(.get, "/ui/projects/p1/prd/main_prd/compare?to=\(second)")
            #expect(parent.text.contains("<mark>changes quickly</mark>"))
        }
    }

    @Test func blameIsAPageAndAnAPIEndpoint() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            _ = try await client.save("main_prd", "alpha\nbeta\n", by: "alice")
            let second = try await client.save("main_prd", "alpha\nbeta\ngamma\n", by: "bob").commit
            let api = try await client.send(.get, "/api/projects/p1/prd/blame/?name=main_prd")
            #expect(api.status == .ok)
            let lines = api.object["lines"] as? [[String: Any]] ?? []
            #expect(lines.map { $0["author"] as? String } == ["alice", "alice", "bob"])
            #expect(lines.last?["commit"] as? String == second && lines.last?["text"] as? String == "gamma")
            let bad = try await client.send(.get, "/api/projects/p1/prd/blame/?at=zz")
            #expect(bad.status == .badRequest && bad.errorField == "at")
            let page = try await client.send(.get, "/ui/projects/p1/prd/main_prd/blame")
            #expect(page.status == .ok && page.text.contains("data-author=\"bob\">gamma"))
        }
    }

    @Test func restoreNeedsTheCSRFTokenAndRecordsWhoRestored() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "first\n").commit
            _ = try await client.save("main_prd", "second\n")
            let confirm = try await client.send(.get, "/ui/projects/p1/prd/main_prd/restore?commit=\(first)")
            #expect(confirm.status == .ok)
            let cookie = try #require(WebUITests.sessionCookie(confirm))
            let csrf = try #require(WebUITests.csrf(confirm.text))
            let path = "/ui/projects/p1/prd/main_prd/restore"
            let missing = try await client.form(path, "commit=\(first)&updated_by=mallory", cookie: cookie)
            #expect(missing.status == .forbidden)
            let wrong = try await client.form(path, "commit=\(first)&updated_by=mallory&csrf=\(String(repeating: "0", count: 64))", cookie: cookie)
            #expect(wrong.status == .forbidden)
            let otherSession = try await client.form(path, "commit=\(first)&updated_by=mallory&csrf=\(csrf)", cookie: String(repeating: "a", count: 64))
            #expect(otherSession.status == .forbidden, "the token belongs to its session")
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["content"] as? String == "second\n")

            let done = try await client.form(path, "commit=\(first)&updated_by=Dana+Restorer&csrf=\(csrf)", cookie: cookie)
            #expect(done.status == .seeOther)
            let current = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(current.object["content"] as? String == "first\n" && current.object["updated_by"] as? String == "Dana Restorer")
        }
    }

    @Test func withTokensPagesNeedASignInAndReadOnlyTokensCannotRestore() async throws {
        let fixture = try ServerFixture(tokens: tokens)
        let writer: HTTPFields = [.authorization: "Bearer alice-secret"]
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "first\n", headers: writer).commit
            _ = try await client.save("main_prd", "second\n", headers: writer)
            let anonymous = try await client.send(.get, "/ui/projects/p1/prd/main_prd")
            #expect(anonymous.status == .seeOther && anonymous.headers[.location]?.hasPrefix("/ui/signin?next=") == true)

            let signInPage = try await client.send(.get, "/ui/signin")
            let cookie = try #require(WebUITests.sessionCookie(signInPage))
            #expect(signInPage.headers[.setCookie]?.contains("HttpOnly") == true && signInPage.headers[.setCookie]?.contains("SameSite=Strict") == true)
            let csrf = try #require(WebUITests.csrf(signInPage.text))
            #expect(try await client.form("/ui/signin", "token=alice-secret", cookie: cookie).status == .forbidden, "sign-in needs the CSRF token too")
            #expect(try await client.form("/ui/signin", "token=nope&csrf=\(csrf)", cookie: cookie).status == .unauthorized)

            // Read-only: pages show, restore does not, and posting anyway is refused.
            let viewerIn = try await client.form("/ui/signin", "token=viewer-secret&csrf=\(csrf)&next=/ui/projects/p1", cookie: cookie)
            #expect(viewerIn.status == .seeOther && viewerIn.headers[.location] == "/ui/projects/p1")
            let viewer = try #require(WebUITests.sessionCookie(viewerIn))
            #expect(viewer != cookie, "signing in starts a new session")
            let viewerPage = try await client.send(.get, "/ui/projects/p1/prd/main_prd", headers: [.cookie: "folio_session=\(viewer)"])
            #expect(viewerPage.status == .ok && viewerPage.text.contains("viewer") && !viewerPage.text.contains("restore-link"))
            let viewerCSRF = try #require(WebUITests.csrf(viewerPage.text))
            let refused = try await client.form("/ui/projects/p1/prd/main_prd/restore", "commit=\(first)&csrf=\(viewerCSRF)", cookie: viewer)
            #expect(refused.status == .forbidden)

            // Read-write: restore is authored by the token's holder, whatever the form says.
            let aliceIn = try await client.form("/ui/signin", "token=alice-secret&csrf=\(csrf)", cookie: cookie)
            let alice = try #require(WebUITests.sessionCookie(aliceIn))
            let alicePage = try await client.send(.get, "/ui/projects/p1/prd/main_prd", headers: [.cookie: "folio_session=\(alice)"])
            #expect(alicePage.text.contains("restore-link"))
            let aliceCSRF = try #require(WebUITests.csrf(alicePage.text))
            let restored = try await client.form(
                "/ui/projects/p1/prd/main_prd/restore", "commit=\(first)&updated_by=someone_else&csrf=\(aliceCSRF)", cookie: alice)
            #expect(restored.status == .seeOther)
            let current = try await client.send(.get, "/api/projects/p1/prd/", headers: writer)
            #expect(current.object["content"] as? String == "first\n" && current.object["updated_by"] as? String == "pm_alice")

            // Signing out forgets the session on the server.
            #expect(try await client.form("/ui/signout", "csrf=\(aliceCSRF)", cookie: alice).status == .seeOther)
            let after = try await client.send(.get, "/ui/projects/p1/prd/main_prd", headers: [.cookie: "folio_session=\(alice)"])
            #expect(after.status == .seeOther)
        }
    }

    @Test func aLargeDocumentIsShownAPartAtATimeNeverCuttingACodeBlock() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            // About 600 KB: paragraphs, and a fenced block with blank lines inside that must stay whole.
            var blocks = (1...3000).map { "Paragraph \($0) of the plan, with enough words to take some room here." }
            blocks.insert("```\ncode line one\n\n\ncode line two\n```", at: 1500)
            let content = String(repeating: blocks.joined(separator: "\n\n") + "\n\n", count: 3)
            #expect(try await client.save("big_prd", content).status == .created)
            let first = try await client.send(.get, "/ui/projects/p1/prd/big_prd")
            #expect(first.status == .ok)
            #expect(first.text.contains("Part 1 of 3") && first.text.contains("id=\"next-part\""))
            #expect(first.text.utf8.count < 400 * 1024, "one part, not the whole document")
            var seen = 0, codeBlocks = 0
            for part in 1...3 {
                let page = try await client.send(.get, "/ui/projects/p1/prd/big_prd?part=\(part)")
                #expect(page.text.contains("Part \(part) of 3"))
                seen += page.text.components(separatedBy: "<p>Paragraph ").count - 1
                codeBlocks += page.text.components(separatedBy: "code line one\n\n\ncode line two").count - 1
            }
            #expect(seen == 3 * 3000, "every paragraph is on exactly one part")
            #expect(codeBlocks == 3, "each code block is whole on one part")
            let clamped = try await client.send(.get, "/ui/projects/p1/prd/big_prd?part=99")
            #expect(clamped.status == .ok && clamped.text.contains("Part 3 of 3"))
        }
    }

    @Test func longHistoriesAndLargeDiffsArePaged() async throws {
        let fixture = try ServerFixture()
        let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
        for index in 1...55 { _ = try await fixture.store.save(key, content: "version \(index)\n", updatedBy: "user\(index)") }
        let wide = try FileKey(projectID: "p1", fileType: .prd, name: "wide")
        let from = try await fixture.store.save(wide, content: (1...2000).map { "row \($0) alpha\n" }.joined(), updatedBy: "alice").commit
        let to = try await fixture.store.save(wide, content: (1...2000).map { "row \($0) beta\n" }.joined(), updatedBy: "bob").commit
        try await fixture.withServer { client in
            let first = try await client.send(.get, "/ui/projects/p1/prd/main_prd")
            #expect(first.text.components(separatedBy: "<td class=\"author\">").count - 1 == 50)
            #expect(first.text.contains("user55") && !first.text.contains(">user5<"))
            let older = try #require(first.text.range(of: "href=\"/ui/projects/p1/prd/main_prd?cursor=").map { first.text[$0.upperBound...].prefix { $0 != "#" } })
            let second = try await client.send(.get, "/ui/projects/p1/prd/main_prd?cursor=\(older)")
            #expect(second.text.components(separatedBy: "<td class=\"author\">").count - 1 == 5)
            #expect(second.text.contains(">user5<") && second.text.contains(">user1<"))

            let path = "/ui/projects/p1/prd/wide/compare?from=\(from.hex)&to=\(to.hex)"
            let page = try await client.send(.get, path)
            #expect(page.status == .ok && page.text.contains("rows 1–1500 of 2000"))
            #expect(page.text.contains("row 1500 <mark>alpha</mark>") && !page.text.contains("row 1501 <mark>alpha</mark>"))
            let rest = try await client.send(.get, path + "&skip=1500")
            #expect(rest.text.contains("row 2000 <mark>alpha</mark>") && rest.text.contains("rows 1501–2000 of 2000"))
        }
    }

    /// The `folio_session` value a reply sets.
    static func sessionCookie(_ response: TestResponse) -> String? {
        for header in response.headers[values: .setCookie] where header.hasPrefix("folio_session=") {
            return String(header.dropFirst("folio_session=".count).prefix { $0 != ";" })
        }
        return nil
    }

    /// The CSRF token in a page's forms.
    static func csrf(_ html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix(64))
    }
}

extension TestClientProtocol {
    /// Posts a form as a browser would, with the session cookie.
    func form(_ uri: String, _ body: String, cookie: String) async throws -> TestResponse {
        try await executeRequest(
            uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "folio_session=\(cookie)"],
            body: ByteBuffer(string: body))
    }
}
