import FolioStore
import FolioSupport
import Foundation
import Hummingbird

extension UIController {
    /// The confirmation step before a restore: what will be restored, and the form that does it.
    @Sendable func confirmRestore(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let key = try fileKey(context)
        guard visitor.canRestore else { throw UIController.readOnly(visitor) }
        let commit = try store.commitID(request.requireQuery("commit", "the revision to restore"), field: "commit")
        let version = try store.load(key, at: commit)
        let file = UIPaths.file(key)
        let model = RestorePage(
            chrome: PageChrome("Restore \(commit.short) — \(key.name)", crumbs: crumbs(key), visitor: visitor), fileKey: key.path,
            commit: commit.hex, short: commit.short, author: version.updatedBy ?? "—", relative: UIFormat.relative(version.updatedAt),
            exact: UIFormat.exact(version.updatedAt), action: file + "/restore", cancelHref: file, viewHref: file + "?at=" + commit.hex,
            askName: !visitor.authRequired, signedInAs: visitor.holder?.name)
        return try renderer.page("restore", model)
    }

    /// Restores a revision: a new commit on top, authored by the signed-in token's holder (or, on a
    /// server without tokens, the name typed in the form). Needs the form's CSRF token and a token
    /// that may write.
    @Sendable func restore(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let key = try fileKey(context)
        let form = try await FormBody.read(request, limit: UIController.formLimit)
        try UIController.checkCSRF(form, visitor: visitor, sessions: sessions)
        guard visitor.canRestore else { throw UIController.readOnly(visitor) }
        let commit = try store.commitID(form["commit"] ?? "", field: "commit")
        let author: String
        if let holder = visitor.holder {
            author = holder.name
        } else {
            guard let typed = form["updated_by"]?.trimmingCharacters(in: .whitespaces), !typed.isEmpty else {
                throw APIError.invalid("updated_by", "type your name: it is recorded as the author of the restore")
            }
            author = typed
        }
        let message = form["message"].flatMap { $0.isEmpty ? nil : $0 }
        let result = try await store.restore(key, commit: commit, by: author, message: message, token: visitor.holder?.name)
        return UIMiddleware.redirect(to: UIPaths.file(key) + "?restored=" + result.commit.short)
    }

    /// Refuses a form whose CSRF token is missing or not this session's.
    static func checkCSRF(_ form: FormBody, visitor: UIVisitor, sessions: UISessions) throws {
        guard try sessions.checkCSRF(form["csrf"], for: visitor.sessionID) else {
            throw APIError(.forbidden, code: "csrf", "this form is missing its security token or comes from an old page; reload the page and try again")
        }
    }

    static func readOnly(_ visitor: UIVisitor) -> APIError {
        if visitor.authRequired, visitor.holder == nil {
            return APIError(.unauthorized, code: "unauthorized", "sign in to restore revisions")
        }
        return APIError(.forbidden, code: "forbidden", "the token of '\(visitor.holder?.name ?? "")' is read-only; it may not restore revisions")
    }
}

/// The restore confirmation page's view model.
struct RestorePage {
    var chrome: PageChrome
    var fileKey: String
    var commit: String
    var short: String
    var author: String
    var relative: String
    var exact: String
    var action: String
    var cancelHref: String
    var viewHref: String
    /// Without tokens the form asks who is restoring.
    var askName: Bool
    var signedInAs: String?
}
