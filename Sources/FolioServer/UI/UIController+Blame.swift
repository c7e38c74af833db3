import FolioStore
import FolioSupport
import Foundation
import Hummingbird

extension UIController {
    /// Lines on one page of a blame.
    static let blameLinesPerPage = 2000

    /// Each line of the current version (or of revision `at`) with the revision that last changed it,
    /// `blameLinesPerPage` lines at a time (`page`, from 1).
    @Sendable func blame(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let key = try fileKey(context)
        let at = try request.query("at").flatMap { $0.isEmpty ? nil : try store.commitID($0, field: "at") }
        let blame = try store.blame(key, at: at)
        let pages = max(1, (blame.lines.count + UIController.blameLinesPerPage - 1) / UIController.blameLinesPerPage)
        let page = min(max(1, try request.queryInt("page") ?? 1), pages)
        let start = (page - 1) * UIController.blameLinesPerPage
        let file = UIPaths.file(key)
        var rows: [BlamePage.Line] = []
        var previous: ObjectID?
        for line in blame.lines[start..<min(blame.lines.count, start + UIController.blameLinesPerPage)] {
            let revision = line.revision
            // Like `git blame`'s porcelain, the revision is named once per run of lines it wrote.
            let first = revision.commit != previous
            previous = revision.commit
            rows.append(BlamePage.Line(
                no: line.line, text: line.text, first: first, short: revision.commit.short, href: file + "?at=" + revision.commit.hex,
                author: revision.author, relative: UIFormat.relative(revision.committedAt), exact: UIFormat.exact(revision.committedAt),
                message: revision.message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""))
        }
        let base = file + "/blame?at=" + blame.commit.hex
        let authors = Set(blame.lines.map(\.revision.author)).sorted()
        let model = BlamePage(
            chrome: PageChrome("Blame — \(key.name)", crumbs: crumbs(key), visitor: visitor), short: blame.commit.short,
            versionHref: file + "?at=" + blame.commit.hex, lines: rows, lineCount: blame.lines.count, authors: authors.joined(separator: ", "),
            earlierHref: page > 1 ? base + "&page=\(page - 1)" : nil, laterHref: page < pages ? base + "&page=\(page + 1)" : nil,
            range: pages > 1 ? "page \(page) of \(pages)" : nil)
        return try renderer.page("blame", model)
    }
}

/// The blame page's view model.
struct BlamePage {
    struct Line {
        var no: Int, text: String, first: Bool, short: String, href: String, author: String, relative: String, exact: String, message: String
    }

    var chrome: PageChrome
    var short: String
    var versionHref: String
    var lines: [Line]
    var lineCount: Int
    var authors: String
    var earlierHref: String?
    var laterHref: String?
    var range: String?
}
