import Foundation
import Hummingbird
import Logging

/// Runs in front of every `/ui` route: finds the browser's session (or starts an anonymous one),
/// sends visitors who have not signed in to the sign-in page when the server has tokens, answers errors
/// as HTML pages, and puts the security headers on every reply.
struct UIMiddleware: RouterMiddleware {
    typealias Context = FolioRequestContext
    let sessions: UISessions
    let renderer: UIRenderer
    let authRequired: Bool
    /// Whether cookies get the Secure attribute: only when the public URL is https, since a browser
    /// drops Secure cookies set over plain http.
    let secureCookies: Bool

    /// No script but Folio's own file, no inline script or style, nothing from elsewhere, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let presented = request.cookies[UISessions.cookieName]?.value
        let sessionID = presented.flatMap { UISessions.isWellFormed($0) ? $0 : nil } ?? UISessions.newID()
        let visitor = UIVisitor(
            sessionID: sessionID, csrf: try sessions.csrfToken(for: sessionID), holder: sessions.holder(of: sessionID), authRequired: authRequired)
        context.visitor = visitor
        var response: Response
        if authRequired, visitor.holder == nil, !UIMiddleware.isOpen(request.uri.path) {
            response = UIMiddleware.redirect(to: "/ui/signin?next=" + UIMiddleware.queryEscaped(request.uri.description))
        } else {
            do {
                response = try await next(request, context)
            } catch {
                response = errorPage(error, request: request, context: context)
            }
        }
        if presented != sessionID { response.setCookie(cookie(sessionID)) }
        UIMiddleware.secure(&response.headers)
        return response
    }

    /// The session cookie: HttpOnly (scripts never see it), SameSite=Strict (no other site's page can
    /// make the browser send it), for `/ui` only.
    func cookie(_ id: String, clear: Bool = false) -> Cookie {
        Cookie(name: UISessions.cookieName, value: id, maxAge: clear ? 0 : nil, path: "/ui", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.init("X-Frame-Options")!] = "DENY"
        headers[.init("Referrer-Policy")!] = "same-origin"
        // Pages show who is signed in and what they may do: never kept for another visitor.
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }

    /// Pages reachable without signing in: the sign-in page itself and the stylesheet and script.
    static func isOpen(_ path: String) -> Bool {
        path == "/ui/signin" || path == "/ui/signin/" || path.hasPrefix("/ui/static/")
    }

    /// A 303 to `location` (a path on this server).
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The error as a page: the status and message the API would give, in HTML.
    private func errorPage(_ error: any Error, request: Request, context: Context) -> Response {
        let apiError = APIErrorMiddleware<Context>.apiError(for: error, request: request)
        if apiError.status.code >= 500 {
            context.logger.error("UI page failed", metadata: ["error": "\(APIErrorMiddleware<Context>.logDescription(of: error))"])
        }
        let message = apiError.status.code >= 500 && apiError.status != .serviceUnavailable
            ? "The server failed to show this page; the error is in its log." : apiError.message
        let visitor = context.visitor ?? UIVisitor(sessionID: "", csrf: "", holder: nil, authRequired: authRequired)
        let model = ErrorPage(chrome: PageChrome("\(apiError.status.code) \(apiError.status.reasonPhrase)", visitor: visitor), status: apiError.status.code, message: message)
        do {
            return try renderer.page("error", model, status: apiError.status)
        } catch {
            return Response(status: apiError.status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message)))
        }
    }
}

/// The error page's view model.
struct ErrorPage {
    var chrome: PageChrome
    var status: Int
    var message: String
}
