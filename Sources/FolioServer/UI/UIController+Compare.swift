import FolioStore
import FolioSupport
import Foundation
import Hummingbird

extension UIController {
    /// Two revisions compared: `to` (default: the current version) against `from` (default: the
    /// revision before `to`), side by side or inline (`view=inline`), unchanged stretches folded
    /// (`unfold=` lists stretches to open, `unfold=all` opens every one), paged by `skip`.
    @Sendable func compare(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let key = try fileKey(context)
        let to: ObjectID
        if let text = request.query("to"), !text.isEmpty {
            to = try store.commitID(text, field: "to")
        } else {
            guard let current = try store.history(key, limit: 1).revisions.first(where: { $0.action != .delete })?.commit else {
                throw StoreError(.notFound, "\(key.path) has no version to compare")
            }
            to = current
        }
        let from: ObjectID
        if let text = request.query("from"), !text.isEmpty {
            from = try store.commitID(text, field: "from")
        } else {
            guard let previous = try store.revision(key, commit: to)?.previous, previous.action != .delete else {
                throw StoreError(.notFound, "revision \(to.short) of \(key.path) has no earlier version to compare with; pick two revisions from the history")
            }
            from = previous.commit
        }
        let inline = request.query("view") == "inline"
        let unfoldText = request.query("unfold") ?? ""
        // At most a few hundred stretches are named in one link; more is not a link a page made.
        let unfolded: Set<Int>? = unfoldText == "all" ? nil : Set(unfoldText.split(separator: ",").prefix(500).compactMap { Int($0) })
        let skip = max(0, try request.queryInt("skip") ?? 0)

        let comparison = try store.compare(key, from: from, to: to)
        let base = UIPaths.file(key) + "/compare?from=\(from.hex)&to=\(to.hex)"
        func link(view: Bool? = nil, unfold: String? = nil, skip: Int? = nil) -> String {
            var href = base
            if view ?? inline { href += "&view=inline" }
            let folds = unfold ?? unfoldText
            if !folds.isEmpty { href += "&unfold=" + UIPaths.query(folds) }
            if let skip, skip > 0 { href += "&skip=\(skip)" }
            return href
        }
        let rows = CompareRows(comparison.lines, inline: inline, unfolded: unfolded, skip: skip) { id in
            let open = unfolded.map { ($0.union([id])).sorted().map(String.init).joined(separator: ",") } ?? "all"
            return link(unfold: open, skip: skip) + "#fold-\(id)"
        }
        var additions = 0, deletions = 0
        for case let .changed(old, new) in comparison.lines.blocks {
            deletions += old.count
            additions += new.count
        }
        let metadata = comparison.metadataChanges.map {
            ComparePage.MetadataChange(key: $0.key, from: UIController.display($0.from), to: UIController.display($0.to))
        }
        func side(_ document: LoadedDocument, _ commit: ObjectID) -> ComparePage.Side {
            ComparePage.Side(
                short: commit.short, href: UIPaths.file(key) + "?at=" + commit.hex, author: document.updatedBy ?? "—",
                relative: UIFormat.relative(document.updatedAt), exact: UIFormat.exact(document.updatedAt))
        }
        let end = skip + rows.split.count + rows.inline.count
        let model = ComparePage(
            chrome: PageChrome("Compare \(from.short)…\(to.short) — \(key.name)", crumbs: crumbs(key), visitor: visitor),
            from: side(comparison.from, from), to: side(comparison.to, to), inline: inline, splitHref: link(view: false, skip: skip),
            inlineHref: link(view: true, skip: skip), unfoldAllHref: unfolded == nil ? nil : link(unfold: "all", skip: skip),
            additions: additions, deletions: deletions, identical: additions == 0 && deletions == 0, metadata: metadata,
            hasMetadata: !metadata.isEmpty, split: rows.split, inlineRows: rows.inline,
            earlierHref: skip > 0 ? link(skip: max(0, skip - CompareRows.limit)) : nil,
            laterHref: end < rows.total ? link(skip: end) : nil,
            range: rows.total > CompareRows.limit ? "rows \(skip + 1)–\(end) of \(rows.total)" : nil)
        return try renderer.page("compare", model)
    }
}

/// The compare page's view model.
struct ComparePage {
    struct Side {
        var short: String, href: String, author: String, relative: String, exact: String
    }

    struct MetadataChange {
        var key: String, from: String, to: String
    }

    var chrome: PageChrome
    var from: Side
    var to: Side
    var inline: Bool
    var splitHref: String
    var inlineHref: String
    var unfoldAllHref: String?
    var additions: Int
    var deletions: Int
    var identical: Bool
    var metadata: [MetadataChange]
    var hasMetadata: Bool
    var split: [CompareRows.SplitRow]
    var inlineRows: [CompareRows.InlineRow]
    var earlierHref: String?
    var laterHref: String?
    var range: String?
}
