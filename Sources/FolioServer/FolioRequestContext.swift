import Hummingbird

/// The per-request state handlers see: Hummingbird's core context plus the caller the bearer token named.
struct FolioRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The token's holder, when authentication is on and the request presented a valid token.
    var caller: APIToken?
    /// On `/ui` pages: the browser's session and who signed in with it.
    var visitor: UIVisitor?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = nil
        visitor = nil
    }
}
