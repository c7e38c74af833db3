import FolioSupport
import Foundation

/// Signs S3 requests with AWS Signature Version 4, as an `Authorization` header.
///
/// Each stage of the algorithm is its own function with the time passed in, so every
/// intermediate string can be checked against another implementation.
public struct S3Signer: Sendable {
    /// The access key id the signature is made for.
    public var accessKeyID: String
    /// The secret that keys the signature; never sent.
    public var secretAccessKey: String
    /// A temporary-credentials token, sent (and signed) as `x-amz-security-token`.
    public var sessionToken: String?
    /// The region in the credential scope, e.g. `us-east-1`.
    public var region: String
    /// The service in the credential scope; `s3` for S3.
    public var service: String

    /// A signer for one set of credentials in one region.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String, service: String = "s3") {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// Hop-by-hop and client-chosen headers that proxies and HTTP stacks may change or drop,
    /// so signing them would make valid requests fail verification.
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "content-length", "expect", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// The headers to send for a request: `headers` plus `host`, `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` (with a session token) and `authorization`,
    /// all with lowercase names.
    ///
    /// `path` is the unencoded path (`/bucket/my key.json`); the URL sent must carry
    /// `URIEncoding.encodePath(path)` and the query encoded the same way.
    public func signedHeaders(
        method: String,
        host: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        payloadHash: String,
        date: Date
    ) throws -> [String: String] {
        let timestamp = SigV4Timestamp(date)
        var all: [String: String] = [:]
        for (name, value) in headers {
            all[name.lowercased()] = value
        }
        all["host"] = host
        all["x-amz-date"] = timestamp.dateTime
        all["x-amz-content-sha256"] = payloadHash
        if let sessionToken {
            all["x-amz-security-token"] = sessionToken
        }
        let canonical = canonicalRequest(method: method, path: path, query: query, headers: all, payloadHash: payloadHash)
        let toSign = try stringToSign(canonicalRequest: canonical.text, timestamp: timestamp)
        let signature = try signature(stringToSign: toSign, signingKey: signingKey(day: timestamp.day))
        all["authorization"] = authorization(signedHeaders: canonical.signedHeaders, signature: signature, timestamp: timestamp)
        return all
    }

    /// The same as `signedHeaders(method:host:path:query:headers:payloadHash:date:)`, hashing `body`.
    public func signedHeaders(
        method: String,
        host: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: Data,
        date: Date
    ) throws -> [String: String] {
        let payloadHash = body.isEmpty ? SHA256.emptyPayloadHex : try SHA256.hexHash(body)
        return try signedHeaders(method: method, host: host, path: path, query: query, headers: headers, payloadHash: payloadHash, date: date)
    }

    // MARK: - Stages

    /// Stage 1: the canonical request, and the `;`-joined names of the headers it signs.
    func canonicalRequest(method: String, path: String, query: [String: String], headers: [String: String], payloadHash: String) -> CanonicalRequest {
        let signed = headers
            .map { (name: $0.key.lowercased(), value: Self.canonicalHeaderValue($0.value)) }
            .filter { !Self.unsignedHeaders.contains($0.name) }
            .sorted { $0.name < $1.name }
        let signedHeaders = signed.map(\.name).joined(separator: ";")
        let text = [
            method.uppercased(),
            URIEncoding.encodePath(path.isEmpty ? "/" : path),
            Self.canonicalQuery(query),
            signed.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return CanonicalRequest(text: text, signedHeaders: signedHeaders)
    }

    /// The query string both signed and sent: names and values encoded, pairs sorted by the
    /// encoded name (then value), since the server re-sorts what it receives before hashing.
    static func canonicalQuery(_ query: [String: String]) -> String {
        query
            .map { (name: URIEncoding.encode($0.key), value: URIEncoding.encode($0.value)) }
            .sorted { $0.name != $1.name ? $0.name < $1.name : $0.value < $1.value }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    /// Header values are signed trimmed, with runs of spaces collapsed, because proxies may
    /// re-fold them.
    static func canonicalHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// `{day}/{region}/{service}/aws4_request`: which key and day the signature is bound to.
    func credentialScope(day: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    /// Stage 2: the string to sign, binding the canonical request's hash to time and scope.
    func stringToSign(canonicalRequest: String, timestamp: SigV4Timestamp) throws -> String {
        [
            "AWS4-HMAC-SHA256",
            timestamp.dateTime,
            credentialScope(day: timestamp.day),
            try SHA256.hexHash(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
    }

    /// Stage 3: the signing key, derived from the secret through the day, region and service,
    /// so a leaked derived key is useless outside that scope.
    func signingKey(day: String) throws -> [UInt8] {
        let dateKey = try Digest.hmacSHA256(key: Array("AWS4\(secretAccessKey)".utf8), message: day)
        let regionKey = try Digest.hmacSHA256(key: dateKey, message: region)
        let serviceKey = try Digest.hmacSHA256(key: regionKey, message: service)
        return try Digest.hmacSHA256(key: serviceKey, message: "aws4_request")
    }

    /// Stage 4: the hex signature of the string to sign.
    func signature(stringToSign: String, signingKey: [UInt8]) throws -> String {
        try Hex.string(Digest.hmacSHA256(key: signingKey, message: stringToSign))
    }

    /// The `Authorization` header value carrying the credential, signed headers and signature.
    func authorization(signedHeaders: String, signature: String, timestamp: SigV4Timestamp) -> String {
        "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(credentialScope(day: timestamp.day)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }
}

/// A canonical request and the header names it covers.
struct CanonicalRequest: Sendable, Hashable {
    /// The newline-joined canonical request that is hashed into the string to sign.
    let text: String
    /// The sorted, `;`-joined lowercase names of the signed headers.
    let signedHeaders: String
}
