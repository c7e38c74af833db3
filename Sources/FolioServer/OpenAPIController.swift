import Foundation
import Hummingbird

/// Serves the OpenAPI 3 description of this API (`Resources/openapi.json`) at `/openapi.json`.
struct OpenAPIController {
    /// The document's bytes, read once when the router is built.
    let document: Data?

    init() {
        document = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources").flatMap { try? Data(contentsOf: $0) }
    }

    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get("openapi.json", use: serve)
    }

    @Sendable func serve(request: Request, context: FolioRequestContext) async throws -> Response {
        guard let document else {
            throw APIError(.internalServerError, code: "internal", "the OpenAPI document is missing from this build's resources")
        }
        return JSONReply.bytes(document, contentType: "application/json; charset=utf-8")
    }
}
