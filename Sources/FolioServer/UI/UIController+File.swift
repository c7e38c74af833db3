import FolioMarkdown
import FolioStore
import FolioSupport
import Foundation
import Hummingbird

extension UIController {
    /// Revisions on one page of a file's history.
    static let historyPageSize = 50

    /// A file: its current version (or the revision `at`) with Markdown rendered, its metadata, and its
    /// history a page at a time (`cursor`), with links to view, compare, blame and restore each revision.
    @Sendable func file(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let key = try fileKey(context)
        let at = try request.query("at").map { try store.commitID($0, field: "at") }
        // One more revision than shown, so the oldest shown one's size change is known.
        let page = try store.history(key, limit: UIController.historyPageSize + 1, cursor: request.query("cursor"))
        let revisions = page.revisions
        let shown = Array(revisions.prefix(UIController.historyPageSize))
        let hasOlder = revisions.count > UIController.historyPageSize
        let newest = request.query("cursor") == nil ? shown.first : nil

        var document: LoadedDocument?
        var deleted = false
        do {
            document = try store.load(key, at: at)
        } catch let error as StoreError where error.code == .notFound && at == nil {
            // A deleted file: its history stays, and any version in it can be restored.
            deleted = true
        }
        let current = newest?.commit
        // The "to" radio defaults to the version shown (a delete has no version to compare).
        let toDefault = at ?? shown.first(where: { $0.action != .delete })?.commit
        var rows: [FilePage.Revision] = []
        for (index, revision) in shown.enumerated() {
            let older = index + 1 < revisions.count ? revisions[index + 1] : nil
            rows.append(FilePage.Revision(
                revision, key: key, older: older, isCurrent: revision.commit == current && !deleted, canRestore: visitor.canRestore,
                checkedTo: revision.commit == toDefault, checkedFrom: false))
        }
        // The "from" radio defaults to the revision just older than the "to" one.
        if let toIndex = rows.firstIndex(where: { $0.checkedTo }), toIndex + 1 < rows.count {
            rows[toIndex + 1].checkedFrom = true
        }

        var html = ""
        var metadata: [FilePage.Field] = []
        var part: FilePage.Part?
        if let document {
            // A large document is shown a part at a time (`part`, from 1), each rendered on its own.
            let parts = MarkdownParts.split(document.content)
            let number = min(max(Int(request.query("part") ?? "") ?? 1, 1), parts.count)
            html = try Markdown.html(String(parts[number - 1]))
            if parts.count > 1 {
                let link = { (n: Int) in UIPaths.file(key) + "?" + (at.map { "at=\($0.hex)&" } ?? "") + "part=\(n)" }
                part = FilePage.Part(
                    number: number, count: parts.count, previousHref: number > 1 ? link(number - 1) : nil,
                    nextHref: number < parts.count ? link(number + 1) : nil)
            }
            metadata = document.metadata.keys.sorted().map { FilePage.Field(key: $0, value: UIController.display(document.metadata[$0])) }
        }
        let viewing = at.flatMap { commit -> FilePage.Viewing? in
            guard commit != current || deleted else { return nil }
            return FilePage.Viewing(
                short: commit.short, by: document?.updatedBy ?? "—", relative: UIFormat.relative(document?.updatedAt),
                exact: UIFormat.exact(document?.updatedAt), currentHref: UIPaths.file(key),
                restoreHref: visitor.canRestore ? UIPaths.file(key) + "/restore?commit=" + commit.hex : nil)
        }
        let base = UIPaths.file(key)
        let model = FilePage(
            chrome: PageChrome("\(key.fileType.rawValue)/\(key.name) — \(key.projectID)", crumbs: crumbs(key, file: false), visitor: visitor),
            title: "\(key.fileType.rawValue)/\(key.name)", fileKey: key.path, base: base, html: html, part: part, metadata: metadata, hasMetadata: !metadata.isEmpty,
            deleted: deleted, viewing: viewing, restored: request.query("restored").map { String($0.prefix(40)) },
            blameHref: base + "/blame" + (at.map { "?at=" + $0.hex } ?? ""),
            revisions: rows, canCompare: rows.count > 1,
            olderHref: hasOlder ? shown.last.map { base + "?cursor=\($0.seq)" } : nil,
            newestHref: request.query("cursor") != nil ? base : nil,
            updatedBy: document?.updatedBy ?? "—", relative: UIFormat.relative(document?.updatedAt), exact: UIFormat.exact(document?.updatedAt))
        return try renderer.page("file", model)
    }

    /// A metadata value as text: strings as they are, other JSON as JSON.
    static func display(_ value: JSONValue?) -> String {
        guard let value else { return "(none)" }
        return value.stringValue ?? value.canonicalText
    }
}

/// The file page's view model.
struct FilePage {
    struct Field {
        var key: String, value: String
    }

    /// The banner shown when looking at an old revision.
    struct Viewing {
        var short: String, by: String, relative: String, exact: String, currentHref: String, restoreHref: String?
    }

    struct Part {
        var number: Int, count: Int, previousHref: String?, nextHref: String?
    }

    struct Revision {
        var commit: String, short: String, author: String, relative: String, exact: String, message: String, action: String
        var sizeChange: String, growth: String
        var viewHref: String, compareHref: String?, blameHref: String?, restoreHref: String?
        var isCurrent: Bool, isDelete: Bool
        var checkedTo: Bool, checkedFrom: Bool

        init(_ revision: FolioStore.Revision, key: FileKey, older: FolioStore.Revision?, isCurrent: Bool, canRestore: Bool, checkedTo: Bool, checkedFrom: Bool) {
            let base = UIPaths.file(key)
            commit = revision.commit.hex
            short = revision.commit.short
            author = revision.author
            relative = UIFormat.relative(revision.committedAt)
            exact = UIFormat.exact(revision.committedAt)
            message = revision.message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            action = revision.action.rawValue
            let delta = revision.size - (older?.size ?? 0)
            sizeChange = UIFormat.sizeChange(delta)
            growth = delta > 0 ? "grew" : delta < 0 ? "shrank" : "same"
            isDelete = revision.action == .delete
            self.isCurrent = isCurrent
            viewHref = isDelete ? base : base + "?at=" + commit
            // A revision against its parent; the first has no parent, a delete no content.
            compareHref = older != nil && !isDelete && older?.action != .delete ? base + "/compare?from=\(older!.commit.hex)&to=\(commit)" : nil
            blameHref = isDelete ? nil : base + "/blame?at=" + commit
            restoreHref = canRestore && !isCurrent && !isDelete ? base + "/restore?commit=" + commit : nil
            self.checkedTo = checkedTo
            self.checkedFrom = checkedFrom
        }
    }

    var chrome: PageChrome
    var title: String
    var fileKey: String
    var base: String
    var html: String
    /// Which part of a large document is shown; nil when it is shown whole.
    var part: Part?
    var metadata: [Field]
    var hasMetadata: Bool
    var deleted: Bool
    var viewing: Viewing?
    var restored: String?
    var blameHref: String
    var revisions: [Revision]
    var canCompare: Bool
    var olderHref: String?
    var newestHref: String?
    var updatedBy: String
    var relative: String
    var exact: String
}
