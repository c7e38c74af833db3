import FolioStore
import Hummingbird
import Logging

/// Turns every failure below it into an `APIError` response, so clients always get the JSON error
/// shape (also for unknown routes) and the request log above it sees the final status.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIErrorMiddleware.apiError(for: error, request: request)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)", "status": "\(apiError.status.code)"])
            }
            return try apiError.response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            return APIError(error)
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
}
