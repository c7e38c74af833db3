/// Who is looking at a UI page: their session, its CSRF token and, with tokens configured, whom they
/// signed in as. Set by `UIMiddleware` for every `/ui` request.
struct UIVisitor: Sendable {
    /// The value of the `folio_session` cookie (new when the browser sent none).
    var sessionID: String
    /// The token every form on the page carries.
    var csrf: String
    /// The signed-in token's holder; nil when not signed in (or the server has no tokens).
    var holder: UISessions.SignedIn?
    /// True when the server has tokens, so pages need a sign-in.
    var authRequired: Bool

    /// Whether the visitor may restore: anyone on a loopback server without tokens, otherwise a
    /// signed-in holder of a read-write token.
    var canRestore: Bool {
        guard authRequired else { return true }
        guard let holder else { return false }
        return !holder.readOnly
    }
}

/// What every page's header and footer show; each page's view model carries one as `chrome`.
struct PageChrome {
    struct Crumb {
        var name: String
        var href: String
    }

    var title: String
    var crumbs: [Crumb]
    var csrf: String
    var signedInAs: String?
    var readOnly: Bool
    var authRequired: Bool

    init(_ title: String, crumbs: [Crumb] = [], visitor: UIVisitor) {
        self.title = title
        self.crumbs = crumbs
        csrf = visitor.csrf
        signedInAs = visitor.holder?.name
        readOnly = visitor.holder?.readOnly ?? false
        authRequired = visitor.authRequired
    }
}
