import FolioStore
import Foundation
import Hummingbird

/// Serves the OpenAPI 3 description of this API (`Resources/openapi.json`) at `/openapi.json`, as this
/// server is configured: the document in the repository declares bearer security (global, lifted for the
/// probes, the document itself and presigned `/files/` URLs), which is what a server with
/// `FOLIO_API_TOKENS` does; a server without tokens asks for none, so for it the security declarations
/// and the 401/403 replies only tokens cause are taken out when the document is loaded.
struct OpenAPIController {
    /// The document's bytes, read (and adjusted) once when the router is built.
    let document: Data?

    /// - Parameter configuration: the server's configuration; nil serves the document as it is in the
    ///   repository (the description of a server with tokens).
    init(configuration: ServerConfiguration? = nil) {
        let stored = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources").flatMap { try? Data(contentsOf: $0) }
        if let stored, let configuration, !configuration.requiresAuthentication {
            document = OpenAPIController.withoutAuthentication(stored)
        } else {
            document = stored
        }
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

    /// Responses (by their `$ref`) that only a server with tokens gives.
    static let tokenResponses: Set<String> = ["#/components/responses/Unauthorized", "#/components/responses/ReadOnlyToken"]

    /// `document` for a server without tokens: no `security` anywhere, no security scheme, and no 401 or
    /// read-only-token 403 replies. Nil when the document is not a JSON object (then nothing is served
    /// rather than a document that claims what the server does not do).
    static func withoutAuthentication(_ document: Data) -> Data? {
        guard case .object(var root)? = try? JSONValue.parse(document) else { return nil }
        root["security"] = nil
        if case .object(var info)? = root["info"], case .string(let text)? = info["description"] {
            info["description"] = .string(text + " This server runs without FOLIO_API_TOKENS: no operation needs a token.")
            root["info"] = .object(info)
        }
        if case .object(var paths)? = root["paths"] {
            for (path, item) in paths {
                guard case .object(var operations) = item else { continue }
                for (method, operation) in operations {
                    guard case .object(var fields) = operation, fields["responses"] != nil || fields["security"] != nil else { continue }
                    fields["security"] = nil
                    if case .object(var responses)? = fields["responses"] {
                        responses = responses.filter { _, response in
                            guard case .string(let target)? = response.objectValue?["$ref"] else { return true }
                            return !tokenResponses.contains(target)
                        }
                        fields["responses"] = .object(responses)
                    }
                    operations[method] = .object(fields)
                }
                paths[path] = .object(operations)
            }
            root["paths"] = .object(paths)
        }
        if case .object(var components)? = root["components"] {
            components["securitySchemes"] = nil
            if case .object(var responses)? = components["responses"] {
                for target in tokenResponses { responses[String(target.split(separator: "/").last!)] = nil }
                components["responses"] = .object(responses)
            }
            if case .object(var headers)? = components["headers"] {
                headers["WWWAuthenticate"] = nil
                components["headers"] = .object(headers)
            }
            root["components"] = .object(components)
        }
        return Data(JSONValue.object(root).bytes(layout: .pretty(indent: 2)) + [0x0A])
    }
}
