import FolioStore
import Hummingbird

/// `/healthz` (the process answers) and `/readyz` (git, the catalog and the mirror answer).
struct HealthController {
    let store: DocumentStore

    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get("healthz", use: live)
            .get("readyz", use: ready)
    }

    @Sendable func live(request: Request, context: FolioRequestContext) async throws -> Response {
        try JSONReply.response(["status": "ok"])
    }

    struct Readiness: Encodable {
        var status: String
        var components: [ComponentHealth]
    }

    @Sendable func ready(request: Request, context: FolioRequestContext) async throws -> Response {
        let components = store.readiness()
        let ready = components.allSatisfy(\.ok)
        return try JSONReply.response(
            Readiness(status: ready ? "ready" : "unavailable", components: components), status: ready ? .ok : .serviceUnavailable)
    }
}
