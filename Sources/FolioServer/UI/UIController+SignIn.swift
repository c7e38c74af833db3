import Foundation
import Hummingbird

extension UIController {
    @Sendable func signInPage(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        guard visitor.authRequired else { return UIMiddleware.redirect(to: "/ui/") }
        return try renderer.page("signin", SignInPage(
            chrome: PageChrome("Sign in", visitor: visitor), next: UIController.safeNext(request.query("next")), failed: false))
    }

    /// Signs in with an API token: a new session, in an HttpOnly, SameSite=Strict cookie.
    @Sendable func signIn(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        guard visitor.authRequired else { return UIMiddleware.redirect(to: "/ui/") }
        let form = try await FormBody.read(request, limit: UIController.formLimit)
        try UIController.checkCSRF(form, visitor: visitor, sessions: sessions)
        let presented = form["token"] ?? ""
        let next = UIController.safeNext(form["next"])
        guard let token = APIToken.matching(presented, in: tokens) else {
            return try renderer.page(
                "signin", SignInPage(chrome: PageChrome("Sign in", visitor: visitor), next: next, failed: true), status: .unauthorized)
        }
        let id = sessions.signIn(token)
        var response = UIMiddleware.redirect(to: next)
        response.setCookie(middleware.cookie(id))
        return response
    }

    /// Signs out: the session is forgotten on the server and the cookie cleared.
    @Sendable func signOut(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let form = try await FormBody.read(request, limit: UIController.formLimit)
        try UIController.checkCSRF(form, visitor: visitor, sessions: sessions)
        sessions.signOut(visitor.sessionID)
        var response = UIMiddleware.redirect(to: visitor.authRequired ? "/ui/signin" : "/ui/")
        response.setCookie(middleware.cookie(UISessions.newID()))
        return response
    }

    /// Where to go after sign-in: a UI path on this server, never another site (`//host`, `/\host`).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/ui"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains("\r"), !next.contains("\n") else {
            return "/ui/"
        }
        return next
    }
}

/// The sign-in page's view model.
struct SignInPage {
    var chrome: PageChrome
    var next: String
    var failed: Bool
}
