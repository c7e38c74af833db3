import Foundation
import Hummingbird
import Logging

/// Checks `Authorization: Bearer <token>` against `FOLIO_API_TOKENS`: no or an unknown token gets 401,
/// a read-only token asking to change something gets 403. With no tokens configured every request
/// passes (the server then listens on loopback only).
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = FolioRequestContext
    let tokens: [APIToken]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !tokens.isEmpty else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("this API needs a token: send 'Authorization: Bearer TOKEN'")
        }
        guard let presented = APIToken.bearer(in: header) else {
            throw APIError.unauthorized("the Authorization header must be 'Bearer TOKEN'")
        }
        guard let caller = APIToken.matching(presented, in: tokens) else {
            throw APIError.unauthorized("the bearer token is not one this server accepts")
        }
        if caller.readOnly && request.method != .get && request.method != .head {
            throw APIError(.forbidden, code: "forbidden", "the token of '\(caller.name)' is read-only; it may not change documents")
        }
        var context = context
        context.caller = caller
        context.logger[metadataKey: "caller"] = .string(caller.name)
        return try await next(request, context)
    }

    static func equalInConstantTime(_ expected: String, _ presented: String) -> Bool {
        let a = Array(expected.utf8), b = Array(presented.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<a.count {
            difference |= a[index] ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
