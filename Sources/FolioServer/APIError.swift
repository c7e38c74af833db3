import FolioStore
import Foundation
import Hummingbird
import FolioSupport

/// An error as the API reports it: an HTTP status and the body
/// `{"error": {"code", "message", "field"?, "current"?, "conflict"?}}`.
///
/// Every store failure reaches the client through `init(_: StoreError)`, so the mapping from
/// `StoreError.Code` to HTTP status lives here and nowhere else.
struct APIError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?
    /// The file's current version: the whole version on a conflict, the commit alone on a failed If-Match.
    var current: CurrentVersion?
    /// The merged text with conflict markers, on a conflict.
    var conflictText: String?
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
        case .forbidden: return .forbidden
        case .unavailable: return .serviceUnavailable
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

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
            var current: CurrentVersion?
            var conflict: String?
        }
        var error: Detail
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(code: code, message: message, field: field, current: current, conflict: conflictText))
        return try JSONReply.response(body, status: status, headers: headers)
    }
}
