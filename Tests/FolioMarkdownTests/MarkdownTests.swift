import FolioMarkdown
import Testing

@Suite struct MarkdownTests {
    @Test func headingsListsTablesAndCodeRender() throws {
        let html = try Markdown.html("""
            # Title

            - one
            - two

            | a | b |
            |---|---|
            | 1 | 2 |

            ```swift
            let x = 1 < 2
            ```
            """)
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<li>one</li>"))
        #expect(html.contains("<table>"))
        #expect(html.contains("<td>2</td>"))
        #expect(html.contains("<pre lang=\"swift\"><code>let x = 1 &lt; 2"))
    }

    @Test func taskListsStrikethroughAndAutolinksRender() throws {
        let html = try Markdown.html("- [x] done\n- [ ] open\n\n~~gone~~ see https://example.com\n")
        #expect(html.contains("checked=\"\" disabled=\"\""))
        #expect(html.contains("<del>gone</del>"))
        #expect(html.contains("<a href=\"https://example.com\">https://example.com</a>"))
    }

    @Test func rawHTMLShowsAsTextAndScriptLinksAreEmptied() throws {
        let html = try Markdown.html("""
            <script>alert(1)</script>

            text <img src=x onerror=alert(2)> more

            [click](javascript:alert(3))
            """)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("javascript:"))
        #expect(html.contains("<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("text &lt;img src=x onerror=alert(2)&gt; more"))
    }
}
