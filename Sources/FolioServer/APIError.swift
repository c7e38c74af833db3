import FolioStore
import Foundation
import Hummingbird
import FolioSupport

/// An error as the API reports it: an HTTP status and the body
/// `{"error": {"code", "message", "field"?, "current"?, "conflict"?, "incident"?}}`.
///
/// Every store failure reaches the client through `init(_: StoreError)`, so the mapping from
/// `StoreError.Code` to HTTP status lives here and nowhere else. A 5xx reaches the client only through
/// `concealed(incident:)`: a generic message and an incident id, the details in the server's log.
struct APIError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?
    /// The file's current version: the whole version on a conflict, the commit alone on a failed If-Match.
    var current: CurrentVersion?
    /// The merged text with conflict markers, on a conflict.
    var conflictText: String?
    /// The id a 5xx is logged under, so an operator can find the details the client is not shown.
    var incident: String?
    var headers: HTTPFields = [:]

    struct CurrentVersion: Encodable, Sendable {
        var commit: ObjectID?
        var content: String?
        var metadata: JSONValue?
    }

    init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    init(_ error: StoreError) {
        self.init(APIError.status(for: error.code), code: error.code.rawValue, error.message, field: error.field)
        if let conflict = error.conflict {
            current = CurrentVersion(commit: conflict.currentCommit, content: conflict.currentContent, metadata: conflict.currentMetadata)
            conflictText = conflict.conflictText
        }
    }

    /// The one place store error codes become HTTP statuses.
    static func status(for code: StoreError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidInput: return .badRequest
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .preconditionFailed: return .preconditionFailed
        case .tooLarge: return .contentTooLarge
        case .invalidDocument: return .unprocessableContent
        case .forbidden: return .forbidden
        case .unavailable, .catalogDamaged: return .serviceUnavailable
        default: return .internalServerError
        }
    }

    /// Bad input in `field`; nothing was written.
    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(StoreError.invalid(field, message))
    }

    /// No token, or one the server does not know.
    static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthorized", message)
        // RFC 6750: a 401 names the scheme the client should use.
        error.headers[.wwwAuthenticate] = "Bearer realm=\"folio\""
        return error
    }

    /// The request's `If-Match` names a version that is no longer current.
    static func stale(_ key: FileKey, currentCommit: ObjectID?) -> APIError {
        let now = currentCommit.map { "the current commit is \($0)" } ?? "the file does not exist"
        var error = APIError(StoreError(.preconditionFailed, "If-Match does not name the current version of \(key.path); \(now)", field: "If-Match"))
        error.current = CurrentVersion(commit: currentCommit)
        return error
    }

    /// The body is larger than the server reads; for saves, `contentLimit` says what the content may be.
    static func tooLarge(limit: Int, contentLimit: Int?) -> APIError {
        guard let contentLimit else {
            return APIError(StoreError(.tooLarge, "the request body is over \(limit) bytes, more than this request needs", field: "body"))
        }
        return APIError(StoreError(
            .tooLarge, "the request body is over \(limit) bytes; content may be at most \(contentLimit) bytes (FOLIO_MAX_CONTENT_BYTES)", field: "content"))
    }

    /// This error as a client may see it when it is a server failure (5xx): the status, code and headers
    /// (`Retry-After`, say) stay, while the message — which may hold file paths, SQL or a dependency's own
    /// error text — becomes a generic one naming `incident`, the id the full error is logged under.
    func concealed(incident: String) -> APIError {
        let message = status == .serviceUnavailable
            ? "the server cannot reach its storage right now; try again later (incident \(incident))"
            : "the server failed to answer this request (incident \(incident)); the details are in its log"
        var concealed = APIError(status, code: code, message)
        concealed.headers = headers
        concealed.incident = incident
        return concealed
    }

    /// A new incident id: 12 hex digits, short enough to read out, random enough not to repeat.
    static func newIncidentID() -> String {
        let digits = String(UInt64.random(in: 0..<(1 << 48)), radix: 16)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
            var current: CurrentVersion?
            var conflict: String?
            var incident: String?
        }
        var error: Detail
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(code: code, message: message, field: field, current: current, conflict: conflictText, incident: incident))
        return try JSONReply.response(body, status: status, headers: headers)
    }
}
