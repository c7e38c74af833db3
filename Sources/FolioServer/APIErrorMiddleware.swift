import FolioStore
import Foundation
import Hummingbird
import Logging
import Synchronization

/// Turns every failure below it into an `APIError` response, so clients always get the JSON error
/// shape (also for unknown routes) and the request log above it sees the final status.
///
/// Server failures (5xx) are logged here in full under a short incident id, and the client gets a
/// generic message naming that id: their text can hold file paths, SQL or a dependency's own error.
/// 4xx messages describe the client's request and reach it as they are.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The router's routes, for telling "no such path" (404) from "not this method" (405).
    var routes = RouteTableBox()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = APIErrorMiddleware.apiError(for: error, request: request)
            if [.notFound, .methodNotAllowed].contains(apiError.status), error is HTTPError {
                let allowed = routes.table.withLock { $0?.methods(for: request.uri.path) } ?? []
                if !allowed.isEmpty {
                    apiError = APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        "\(request.uri.path) does not take \(request.method.rawValue); it takes \(allowed.joined(separator: ", "))")
                    apiError.headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            if apiError.status.code >= 500 {
                let incident = APIError.newIncidentID()
                context.logger.error("request failed", metadata: [
                    "incident": .string(incident),
                    "status": .stringConvertible(apiError.status.code),
                    "method": .string(request.method.rawValue),
                    "path": .string(request.uri.path),
                    "error": .string(APIErrorMiddleware.logDescription(of: error)),
                ])
                apiError = apiError.concealed(incident: incident)
            }
            return try apiError.response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            var apiError = APIError(error)
            // The store read a file it could not decode without saying which; the request says.
            if error.code == .invalidDocument, apiError.message.hasPrefix(Envelope.unnamedFile), let key = documentKey(of: request) {
                apiError.message = key.path + apiError.message.dropFirst(Envelope.unnamedFile.count)
            }
            return apiError
        case let error as HTTPError where error.status == .notFound && error.body == nil:
            // The router found no route for this path and method.
            return APIError(.notFound, code: "not_found", "no route for \(request.method.rawValue) \(request.uri.path); the API is described at /openapi.json")
        case let error as HTTPError:
            let code = error.status.code < 500 ? "invalid_input" : "internal"
            return APIError(error.status, code: code, error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, code: "internal", "the server failed to answer this request; the error is in its log")
        }
    }

    /// Everything known about `error`, for the log: a store error's code, message, cause and where it
    /// was raised.
    static func logDescription(of error: any Error) -> String {
        switch error {
        case let error as StoreError:
            var text = "\(error.code): \(error.message) [at \(error.location)]"
            if let cause = error.cause { text += " caused by: \(cause)" }
            return text
        case let error as APIError:
            return "\(error.code): \(error.message)"
        default:
            return String(reflecting: error)
        }
    }

    /// The file a document read (`GET /api/projects/{pid}/{type}/…`, `name` in the query) names; nil
    /// for other requests, where the name may be in a body this middleware cannot see.
    static func documentKey(of request: Request) -> FileKey? {
        guard request.method == .get || request.method == .head else { return nil }
        let parts = request.uri.path.split(separator: "/")
        guard parts.count >= 4, parts[0] == "api", parts[1] == "projects",
              let projectID = String(parts[2]).removingPercentEncoding,
              let type = FileType(rawValue: String(parts[3]).removingPercentEncoding ?? "") else { return nil }
        let name = request.uri.queryParameters["name"].map(String.init) ?? type.defaultName
        return try? FileKey(projectID: projectID, fileType: type, name: name)
    }
}
