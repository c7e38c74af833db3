import FolioStore
import Hummingbird
import Logging

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
        var components = store.readiness()
        let ready = components.allSatisfy(\.ok)
        // The probe is open to anyone who can reach the server: the reasons (paths, a dependency's own
        // words) go to the log, the reply only says which part is not ready.
        for index in components.indices where !components[index].ok {
            context.logger.warning("not ready", metadata: ["component": .string(components[index].name), "error": .string(components[index].error ?? "")])
            components[index].error = "not ready; the reason is in the server's log"
        }
        return try JSONReply.response(
            Readiness(status: ready ? "ready" : "unavailable", components: components), status: ready ? .ok : .serviceUnavailable)
    }
}
