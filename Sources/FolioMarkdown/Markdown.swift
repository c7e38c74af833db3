internal import CCMarkGFM
import Foundation
import Synchronization

/// GitHub-flavoured Markdown rendered to HTML by GitHub's cmark-gfm, for showing documents in a browser.
///
/// Raw HTML in the text never reaches the output as markup: before rendering, every raw HTML block
/// becomes a code block and every inline tag becomes text, so a `<script>` in a document shows as the
/// characters `<script>`, escaped. As a second line of defence cmark-gfm renders without
/// `CMARK_OPT_UNSAFE`, which would drop any raw HTML left and empties `javascript:`-style link targets.
/// Tables, task lists, strikethrough and autolinks are on.
public enum Markdown {
    /// Why a rendering failed.
    public struct Failure: Error, CustomStringConvertible {
        /// The C function that failed.
        public var function: String
        public var description: String { "cmark-gfm: \(function) failed" }
    }

    /// The GFM extensions Folio turns on, by cmark-gfm's names.
    static let extensionNames = ["table", "tasklist", "strikethrough", "autolink"]

    /// cmark-gfm's extension registry is process-wide and registered once; parsers are serialised too,
    /// since the extensions keep shared state the library does not document as thread-safe.
    private static let lock = Mutex(false)

    /// The HTML for `text`.
    public static func html(_ text: String) throws -> String {
        try lock.withLock { registered in
            if !registered {
                cmark_gfm_core_extensions_ensure_registered()
                registered = true
            }
            let options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_GITHUB_PRE_LANG
            guard let parser = cmark_parser_new(options) else { throw Failure(function: "cmark_parser_new") }
            defer { cmark_parser_free(parser) }
            for name in extensionNames {
                guard let syntax = cmark_find_syntax_extension(name) else { throw Failure(function: "cmark_find_syntax_extension(\(name))") }
                guard cmark_parser_attach_syntax_extension(parser, syntax) == 1 else {
                    throw Failure(function: "cmark_parser_attach_syntax_extension(\(name))")
                }
            }
            var utf8 = text
            utf8.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    cmark_parser_feed(parser, chars.baseAddress, chars.count)
                }
            }
            guard let document = cmark_parser_finish(parser) else { throw Failure(function: "cmark_parser_finish") }
            defer { cmark_node_free(document) }
            try showRawHTMLAsText(document)
            guard let rendered = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else {
                throw Failure(function: "cmark_render_html")
            }
            // cmark-gfm allocates with the default allocator, which is malloc.
            defer { free(rendered) }
            return String(cString: rendered)
        }
    }

    /// Replaces the raw HTML nodes under `document` with nodes that render their source as text.
    private static func showRawHTMLAsText(_ document: OpaquePointer) throws {
        guard let iterator = cmark_iter_new(document) else { throw Failure(function: "cmark_iter_new") }
        var raw: [OpaquePointer] = []
        // Collected first: the iterator must not walk a tree that is being changed.
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_HTML_BLOCK || type == CMARK_NODE_HTML_INLINE { raw.append(node) }
        }
        cmark_iter_free(iterator)
        for node in raw {
            let block = cmark_node_get_type(node) == CMARK_NODE_HTML_BLOCK
            guard let replacement = cmark_node_new(block ? CMARK_NODE_CODE_BLOCK : CMARK_NODE_TEXT) else {
                throw Failure(function: "cmark_node_new")
            }
            let literal = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
            guard cmark_node_set_literal(replacement, literal) == 1 else {
                cmark_node_free(replacement)
                throw Failure(function: "cmark_node_set_literal")
            }
            guard cmark_node_replace(node, replacement) == 1 else {
                cmark_node_free(replacement)
                throw Failure(function: "cmark_node_replace")
            }
            // Unlinked by the replace, and no longer reachable from the document.
            cmark_node_free(node)
        }
    }
}
