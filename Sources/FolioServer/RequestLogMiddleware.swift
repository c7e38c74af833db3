import Foundation
import Hummingbird
import Logging

/// Logs one line per request: method, path, status and duration. The query is left out because
/// presigned URLs carry their signature there.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, since: started)
            return response
        } catch {
            log(request, context, status: APIErrorMiddleware<Context>.apiError(for: error, request: request).status.code, since: started)
            throw error
        }
    }

    /// `value` with one decimal, without `String(format:)` (slow on Linux, and this runs per request).
    static func tenths(_ value: Double) -> String {
        let tenths = Int((max(value, 0) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private func log(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(status),
                "ms": .string(RequestLogMiddleware.tenths(milliseconds)),
            ])
    }
}
