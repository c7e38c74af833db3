/// A failed S3 operation: what kind of failure, what the server or transport said, and whether
/// trying the same request again may succeed.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, extensible so new S3 codes don't break exhaustive callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A stable, lower-camel-case name for the kind of failure.
        public let rawValue: String

        /// A code with the given name.
        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The name of the code.
        public var description: String { rawValue }

        /// The credentials are valid but may not do this (HTTP 403 `AccessDenied`).
        public static let accessDenied = Code("accessDenied")
        /// The secret key does not match the access key, or the request was altered in transit.
        public static let signatureDoesNotMatch = Code("signatureDoesNotMatch")
        /// The server does not know the access key.
        public static let invalidAccessKeyId = Code("invalidAccessKeyId")
        /// The session token has expired.
        public static let expiredToken = Code("expiredToken")
        /// The local clock differs too much from the server's.
        public static let requestTimeTooSkewed = Code("requestTimeTooSkewed")
        /// The bucket does not exist.
        public static let noSuchBucket = Code("noSuchBucket")
        /// The object does not exist.
        public static let noSuchKey = Code("noSuchKey")
        /// The bucket lives in another region than the one configured.
        public static let wrongRegion = Code("wrongRegion")
        /// A conditional request's precondition did not hold (HTTP 412).
        public static let preconditionFailed = Code("preconditionFailed")
        /// The server asks to send fewer requests (HTTP 429, 503 `SlowDown`).
        public static let slowDown = Code("slowDown")
        /// The server failed (HTTP 5xx).
        public static let serverError = Code("serverError")
        /// Another request the server refused (HTTP 4xx), named by `s3Code`.
        public static let requestRejected = Code("requestRejected")
        /// The server could not be reached or the connection broke.
        public static let transport = Code("transport")
        /// The server did not answer within the configured time.
        public static let timeout = Code("timeout")
        /// The server's answer could not be understood.
        public static let invalidResponse = Code("invalidResponse")
        /// An argument was outside what S3 or this client accepts; nothing was sent.
        public static let invalidArgument = Code("invalidArgument")
        /// The configuration cannot work (bad endpoint URL, empty bucket name).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// Hashing, signing or compression failed in the C library underneath.
        public static let internalFailure = Code("internalFailure")
    }

    /// Where an error was raised, for logs.
    public struct SourceLocation: Sendable, Hashable {
        /// The source file.
        public var file: String
        /// The line in that file.
        public var line: Int
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String
    /// The HTTP status of the response, when there was one.
    public var httpStatus: Int?
    /// The `<Code>` of the server's XML error body, when it sent one.
    public var s3Code: String?
    /// The server's request id, for its operators.
    public var requestID: String?
    /// Whether the same request may succeed if sent again later.
    public var isRetryable: Bool
    /// The lower-level error that caused this one, if any.
    public var cause: (any Error & Sendable)?
    /// Where the error was raised.
    public var location: SourceLocation

    /// An error with everything spelled out; `isRetryable` defaults from the code and status.
    public init(
        code: Code,
        message: String,
        httpStatus: Int? = nil,
        s3Code: String? = nil,
        requestID: String? = nil,
        isRetryable: Bool? = nil,
        cause: (any Error & Sendable)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.s3Code = s3Code
        self.requestID = requestID
        self.isRetryable = isRetryable ?? Self.defaultRetryable(code: code, httpStatus: httpStatus, s3Code: s3Code)
        self.cause = cause
        self.location = SourceLocation(file: file, line: line)
    }

    /// One line: the code, the status and server code when known, and the message.
    public var description: String {
        var parts = "S3Error.\(code)"
        var details: [String] = []
        if let httpStatus { details.append("HTTP \(httpStatus)") }
        if let s3Code { details.append(s3Code) }
        if !details.isEmpty { parts += " (\(details.joined(separator: ", ")))" }
        parts += ": \(message)"
        if let requestID { parts += " [request id \(requestID)]" }
        if let cause { parts += " (cause: \(cause))" }
        return parts
    }

    /// Throttling, server failures and broken connections are transient; a refused signature,
    /// missing bucket or bad argument fails the same way every time.
    static func defaultRetryable(code: Code, httpStatus: Int?, s3Code: String?) -> Bool {
        switch code {
        case .slowDown, .serverError, .transport, .timeout:
            return true
        default:
            break
        }
        if let s3Code, ["RequestTimeout", "InternalError", "ServiceUnavailable", "SlowDown", "Throttling"].contains(s3Code) {
            return true
        }
        if let httpStatus, httpStatus >= 500 || httpStatus == 429 {
            return true
        }
        return false
    }
}

extension S3Error {
    /// Maps an S3 error-body code to a client code; unknown codes fall back to the status.
    static func code(s3Code: String?, httpStatus: Int, notFound: Code) -> Code {
        switch s3Code {
        case "AccessDenied", "AllAccessDisabled", "AccountProblem": return .accessDenied
        case "SignatureDoesNotMatch": return .signatureDoesNotMatch
        case "InvalidAccessKeyId": return .invalidAccessKeyId
        case "ExpiredToken", "TokenRefreshRequired": return .expiredToken
        case "RequestTimeTooSkewed": return .requestTimeTooSkewed
        case "NoSuchBucket": return .noSuchBucket
        case "NoSuchKey": return .noSuchKey
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return .wrongRegion
        case "PreconditionFailed": return .preconditionFailed
        case "SlowDown", "Throttling", "TooManyRequests": return .slowDown
        case "RequestTimeout": return .timeout
        case "InternalError", "ServiceUnavailable": return .serverError
        default: break
        }
        switch httpStatus {
        case 301, 307: return .wrongRegion
        case 403: return .accessDenied
        case 404: return notFound
        case 412: return .preconditionFailed
        case 429: return .slowDown
        case 500...: return .serverError
        default: return .requestRejected
        }
    }
}
