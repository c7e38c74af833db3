import Foundation

/// A blocking S3 client for one bucket: put, get, head, delete and list objects, and presign
/// GET URLs. Safe to share between threads; each call blocks its caller until S3 answers (or
/// retries run out), so callers run it on a thread of their own rather than a shared executor.
public final class S3Client: Sendable {
    /// The configuration the client was made with.
    public let configuration: S3Configuration
    /// How transient failures are retried.
    public let retry: RetryPolicy
    let endpoint: S3Endpoint
    let signer: S3Signer
    private let pool = CurlPool()

    /// A client for `configuration`; throws `invalidConfiguration` for an unusable endpoint,
    /// bucket, region or timeout. Nothing is sent until the first call.
    public init(configuration: S3Configuration, retry: RetryPolicy = .default) throws {
        guard !configuration.region.isEmpty, configuration.region.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw S3Error(code: .invalidConfiguration, message: "region \"\(configuration.region)\" must be a non-empty name like us-east-1")
        }
        guard configuration.connectTimeout > 0, configuration.requestTimeout > 0 else {
            throw S3Error(code: .invalidConfiguration, message: "timeouts must be positive (connect \(configuration.connectTimeout), request \(configuration.requestTimeout))")
        }
        guard !configuration.accessKeyID.isEmpty, !configuration.secretAccessKey.isEmpty else {
            throw S3Error(code: .invalidConfiguration, message: "an access key id and a secret access key are required")
        }
        self.configuration = configuration
        self.retry = retry
        self.endpoint = try S3Endpoint(configuration: configuration)
        self.signer = S3Signer(
            accessKeyID: configuration.accessKeyID,
            secretAccessKey: configuration.secretAccessKey,
            sessionToken: configuration.sessionToken,
            region: configuration.region)
    }

    // MARK: - Objects

    /// Stores `body` under `key`, replacing any object there.
    ///
    /// `metadata` becomes `x-amz-meta-*` headers (US-ASCII, as S3 requires). With `gzipAbove`,
    /// a body larger than that many bytes is stored gzip-compressed with `Content-Encoding: gzip`,
    /// which `getObject` and HTTP clients asking for compression both decode.
    public func putObject(
        key: String,
        body: Data,
        contentType: String = "application/json",
        metadata: [String: String] = [:],
        gzipAbove: Int? = nil
    ) throws {
        try Self.validate(key: key)
        try Self.validate(headerValue: contentType, name: "content type")
        var headers = ["content-type": contentType]
        for (name, value) in metadata {
            try Self.validate(metadataName: name, value: value)
            headers["x-amz-meta-\(name.lowercased())"] = value
        }
        var payload = body
        if let gzipAbove, body.count > gzipAbove {
            payload = try Gzip.compress(body)
            headers["content-encoding"] = "gzip"
        }
        let request = try S3Request(method: "PUT", operation: "PutObject", key: key, headers: headers, body: payload)
        _ = try send(request)
    }

    /// The object under `key`, its body decoded; throws `noSuchKey` when there is none.
    public func getObject(key: String) throws -> S3Object {
        try Self.validate(key: key)
        let response = try send(S3Request(method: "GET", operation: "GetObject", key: key))
        let encoding = response.headers["content-encoding"]
        var body = response.body
        if let encoding, Self.isGzip(encoding) {
            do {
                body = try Gzip.decompress(body)
            } catch var error as S3Error {
                error.message = "GetObject \(describe(key: key)): stored as gzip but \(error.message)"
                throw error
            }
        }
        return S3Object(
            body: body,
            metadata: Self.metadata(from: response.headers),
            contentEncoding: encoding,
            etag: response.headers["etag"].map(ETag.unquoted),
            contentType: response.headers["content-type"],
            lastModified: response.headers["last-modified"].flatMap(HTTPDate.parse))
    }

    /// Size, tag and metadata of the object under `key`, or nil when there is none.
    public func headObject(key: String) throws -> S3ObjectHead? {
        try Self.validate(key: key)
        let response = try send(S3Request(method: "HEAD", operation: "HeadObject", key: key), alsoAccepting: [404])
        if response.status == 404 { return nil }
        guard let size = response.headers["content-length"].flatMap({ Int($0) }) else {
            throw S3Error(code: .invalidResponse, message: "HeadObject \(describe(key: key)): no Content-Length in the answer", httpStatus: response.status)
        }
        return S3ObjectHead(
            size: size,
            etag: response.headers["etag"].map(ETag.unquoted),
            metadata: Self.metadata(from: response.headers),
            contentEncoding: response.headers["content-encoding"],
            contentType: response.headers["content-type"],
            lastModified: response.headers["last-modified"].flatMap(HTTPDate.parse))
    }

    /// Removes the object under `key`; removing an absent object succeeds, as in S3.
    public func deleteObject(key: String) throws {
        try Self.validate(key: key)
        _ = try send(S3Request(method: "DELETE", operation: "DeleteObject", key: key))
    }

    /// One page of the keys starting with `prefix`, in key order (ListObjectsV2).
    ///
    /// Pass the page's `nextContinuationToken` back to read the next page; `maxKeys` is 1...1000.
    public func listObjects(prefix: String, continuationToken: String? = nil, maxKeys: Int = 1000) throws -> S3ListPage {
        guard (1...1000).contains(maxKeys) else {
            throw S3Error(code: .invalidArgument, message: "maxKeys must be 1...1000, not \(maxKeys)")
        }
        var query = ["list-type": "2", "max-keys": String(maxKeys), "encoding-type": "url"]
        if !prefix.isEmpty { query["prefix"] = prefix }
        if let continuationToken { query["continuation-token"] = continuationToken }
        let request = try S3Request(method: "GET", operation: "ListObjectsV2", key: nil, query: query)
        let response = try send(request)
        do {
            return try ListObjectsParser.parse(response.body)
        } catch var error as S3Error {
            error.httpStatus = response.status
            error.requestID = response.headers["x-amz-request-id"]
            throw error
        }
    }

    /// Checks that the bucket exists and these credentials may use it.
    ///
    /// Throws `noSuchBucket`, `signatureDoesNotMatch`, `invalidAccessKeyId`, `accessDenied`,
    /// `transport` or `timeout` with a message naming the endpoint and bucket.
    public func headBucket() throws {
        do {
            _ = try send(S3Request(method: "HEAD", operation: "HeadBucket", key: nil))
        } catch let error as S3Error where error.s3Code == nil && error.httpStatus.map({ $0 != 404 && $0 < 500 }) == true {
            // A HEAD answer has no body, so a 403 cannot say whether the signature, the key or
            // the permissions are wrong; an empty listing needs the same permission and does.
            let probe = try S3Request(method: "GET", operation: "HeadBucket", key: nil, query: ["list-type": "2", "max-keys": "1"])
            _ = try send(probe)
            throw error
        }
    }

    /// A URL that fetches `key` with a plain GET for `expires` seconds from `now`
    /// (SigV4 query signing). Throws `invalidArgument` unless `expires` is within 1...604800.
    public func presignedGetURL(key: String, expires: Int, now: Date = Date()) throws -> String {
        try Self.validate(key: key)
        return try S3Presigner(signer: signer).presignedURL(
            method: "GET", scheme: endpoint.scheme, host: endpoint.host, path: endpoint.path(key: key), expires: expires, date: now)
    }

    // MARK: - Sending

    /// Signs and sends `request`, retrying transient failures; statuses outside 2xx (and
    /// `alsoAccepting`) become an `S3Error` built from the server's error document.
    func send(_ request: S3Request, alsoAccepting: Set<Int> = []) throws -> HTTPResponse {
        var attempt = 1
        while true {
            do {
                // Signed per attempt: a retry after a long back-off needs a fresh date.
                let http = try httpRequest(for: request, date: Date())
                let response: HTTPResponse
                do {
                    response = try pool.withHandle { try $0.perform(http) }
                } catch var error as S3Error {
                    error.message = "\(request.operation) \(describe(key: request.key)) failed: \(error.message)"
                    throw error
                }
                if (200..<300).contains(response.status) || alsoAccepting.contains(response.status) {
                    return response
                }
                throw error(for: response, request: request)
            } catch var error as S3Error {
                guard retry.shouldRetry(error, afterAttempt: attempt) else {
                    if attempt > 1 { error.message += " (after \(attempt) attempts)" }
                    throw error
                }
                Thread.sleep(forTimeInterval: retry.delay(afterAttempt: attempt))
                attempt += 1
            }
        }
    }

    /// The transport request for `request`, signed at `date`.
    func httpRequest(for request: S3Request, date: Date) throws -> HTTPRequest {
        let path = endpoint.path(key: request.key)
        let headers = try signer.signedHeaders(
            method: request.method, host: endpoint.host, path: path, query: request.query,
            headers: request.headers, payloadHash: request.payloadHash, date: date)
        return HTTPRequest(
            method: request.method,
            url: endpoint.url(path: path, canonicalQuery: S3Signer.canonicalQuery(request.query)),
            headers: headers,
            body: request.body,
            connectTimeout: configuration.connectTimeout,
            requestTimeout: configuration.requestTimeout)
    }

    private func error(for response: HTTPResponse, request: S3Request) -> S3Error {
        let body = S3ErrorBody.parse(response.body)
        let code = S3Error.code(s3Code: body?.code, httpStatus: response.status, notFound: request.key == nil ? .noSuchBucket : .noSuchKey)
        var message = "\(request.operation) \(describe(key: request.key)) at \(configuration.endpoint ?? "AWS") failed: "
        if let text = body?.message, !text.isEmpty {
            message += text
        } else {
            message += Self.explanation(for: code, status: response.status)
        }
        if code == .wrongRegion, let region = body?.region ?? response.headers["x-amz-bucket-region"] {
            message += " (the bucket is in \(region), the client is configured for \(configuration.region))"
        }
        return S3Error(
            code: code,
            message: message,
            httpStatus: response.status,
            s3Code: body?.code,
            requestID: body?.requestID ?? response.headers["x-amz-request-id"])
    }

    private static func explanation(for code: S3Error.Code, status: Int) -> String {
        switch code {
        case .noSuchBucket: return "the bucket does not exist"
        case .noSuchKey: return "no object under this key"
        case .accessDenied: return "access denied (wrong credentials, or they lack permission)"
        case .wrongRegion: return "the bucket is in another region"
        case .slowDown: return "the server asks to slow down"
        case .serverError: return "the server failed with HTTP \(status)"
        default: return "HTTP \(status)"
        }
    }

    private func describe(key: String?) -> String {
        "s3://\(configuration.bucket)/\(key ?? "")"
    }

    // MARK: - Validation and header mapping

    private static func validate(key: String) throws {
        guard !key.isEmpty else {
            throw S3Error(code: .invalidArgument, message: "an object key must not be empty")
        }
        guard key.utf8.count <= 1024 else {
            throw S3Error(code: .invalidArgument, message: "an object key is at most 1024 UTF-8 bytes, this one has \(key.utf8.count)")
        }
    }

    private static func validate(metadataName name: String, value: String) throws {
        let allowed = UInt8(ascii: "!")...UInt8(ascii: "~")
        let separators = Set("()<>@,;:\\\"/[]?={}".utf8)
        guard !name.isEmpty, name.utf8.allSatisfy({ allowed.contains($0) && !separators.contains($0) }) else {
            throw S3Error(code: .invalidArgument, message: "metadata name \"\(name)\" must be letters, digits and -_.!#$%&'*+^`|~")
        }
        try validate(headerValue: value, name: "metadata \(name)")
    }

    private static func validate(headerValue value: String, name: String) throws {
        // S3 only stores US-ASCII header values, and CR/LF would split the header.
        guard value.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }) else {
            throw S3Error(code: .invalidArgument, message: "\(name) value must be printable US-ASCII without line breaks")
        }
    }

    private static func metadata(from headers: [String: String]) -> [String: String] {
        var metadata: [String: String] = [:]
        let prefix = "x-amz-meta-"
        for (name, value) in headers where name.hasPrefix(prefix) {
            metadata[String(name.dropFirst(prefix.count))] = value
        }
        return metadata
    }

    private static func isGzip(_ encoding: String) -> Bool {
        encoding.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "gzip" }
    }
}

/// One S3 call before signing: what to send and how to name it in errors.
struct S3Request: Sendable {
    var method: String
    /// The API name, for error messages (`PutObject`).
    var operation: String
    /// The object key; nil addresses the bucket.
    var key: String?
    var query: [String: String]
    /// Lowercase names; signed along with the ones the signer adds.
    var headers: [String: String]
    var body: Data
    /// Hex SHA-256 of `body`, computed once for all attempts.
    var payloadHash: String

    init(method: String, operation: String, key: String?, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data()) throws {
        self.method = method
        self.operation = operation
        self.key = key
        self.query = query
        self.headers = headers
        self.body = body
        self.payloadHash = body.isEmpty ? SHA256.emptyPayloadHex : try SHA256.hexHash(body)
    }
}
