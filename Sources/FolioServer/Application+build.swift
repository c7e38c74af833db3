import FolioStore
import Hummingbird
import Logging
import Synchronization

/// Builds the HTTP API over `store`, listening where `configuration` says.
///
/// - Parameters:
///   - logger: the server's logger; every request is logged through it.
///   - onListening: called once the socket is bound, with the port actually used (useful with port 0).
public func buildApplication(
    configuration: ServerConfiguration, store: DocumentStore, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let connections = ConnectionGuard(.init(
        headerTimeout: .seconds(Int64(configuration.headerTimeoutSeconds)), idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)),
        maxConnections: ConnectionGuard.capped(configuration.maxConnections)))
    return Application(
        router: buildRouter(store: store, configuration: configuration),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [connections.handler()], idleTimeout: connections.limits.idleTimeout)),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Folio"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The routes: the document API under `/api` behind bearer authentication, git's smart HTTP under `/git`
/// with the same tokens, the web UI under `/ui` behind its sign-in, presigned local files, health probes and the OpenAPI document outside both, and a JSON
/// 404 for everything else.
func buildRouter(store: DocumentStore, configuration: ServerConfiguration) -> Router<FolioRequestContext> {
    let router = Router(context: FolioRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Filled once every route is in: the error middleware answers 405 from it.
    let routes = RouteTableBox()
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: APIErrorMiddleware(routes: routes))
    router.addRoutes(HealthController(store: store).endpoints)
    router.addRoutes(OpenAPIController(configuration: configuration).endpoints)
    router.addRoutes(FileController(store: store).endpoints, atPath: "files")
    router.group("api/projects/:pid")
        .add(middleware: BearerAuthMiddleware(tokens: configuration.tokens))
        .addRoutes(ProjectController(store: store).endpoints)
        .addRoutes(BatchController(store: store, configuration: configuration).endpoints)
        .addRoutes(ExportController(store: store).endpoints)
        .addRoutes(DocumentController(store: store, configuration: configuration).endpoints)
    router.group("git")
        .addRoutes(GitController(
            repositoryPath: store.configuration.repositoryPath, tokens: configuration.tokens, pushRefusal: configuration.gitPushRefusal).endpoints)
    // The UI's templates ship with the server; without them it cannot start (a packaging error).
    do {
        let renderer = try UIRenderer()
        let sessions = UISessions()
        let middleware = UIMiddleware(
            sessions: sessions, renderer: renderer, authRequired: configuration.requiresAuthentication,
            secureCookies: configuration.publicURL?.lowercased().hasPrefix("https://") ?? false)
        router.group("ui")
            .add(middleware: middleware)
            .addRoutes(UIController(store: store, renderer: renderer, sessions: sessions, tokens: configuration.tokens, middleware: middleware).endpoints)
    } catch {
        preconditionFailure("the web UI's templates could not be loaded: \(error)")
    }
    routes.table.withLock { $0 = RouteTable(router.routes) }
    return router
}
