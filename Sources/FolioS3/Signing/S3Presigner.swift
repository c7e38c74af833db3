import Foundation

/// Makes presigned URLs: SigV4 in the query string, so anyone holding the URL can fetch the
/// object without credentials until it expires.
public struct S3Presigner: Sendable {
    /// The signer whose credentials, region and stages are used.
    public var signer: S3Signer

    /// The longest validity SigV4 allows: seven days.
    public static let maximumExpiry = 604_800

    /// A presigner for the signer's credentials and region.
    public init(signer: S3Signer) {
        self.signer = signer
    }

    /// A URL for `method` on `path` that is valid for `expires` seconds from `date`.
    ///
    /// `path` is unencoded; `host` includes a port when it isn't the scheme's default.
    /// Throws `invalidArgument` unless `expires` is within 1...604800.
    public func presignedURL(
        method: String = "GET",
        scheme: String,
        host: String,
        path: String,
        query: [String: String] = [:],
        expires: Int,
        date: Date
    ) throws -> String {
        guard (1...Self.maximumExpiry).contains(expires) else {
            throw S3Error(
                code: .invalidArgument,
                message: "a presigned URL must expire after 1 to \(Self.maximumExpiry) seconds, not \(expires)")
        }
        let timestamp = SigV4Timestamp(date)
        let signedQuery = signingQuery(query: query, expires: expires, timestamp: timestamp)
        let canonical = signer.canonicalRequest(
            method: method, path: path, query: signedQuery, headers: ["host": host], payloadHash: "UNSIGNED-PAYLOAD")
        let toSign = try signer.stringToSign(canonicalRequest: canonical.text, timestamp: timestamp)
        let signature = try signer.signature(stringToSign: toSign, signingKey: signer.signingKey(day: timestamp.day))
        let encodedPath = URIEncoding.encodePath(path.isEmpty ? "/" : path)
        return "\(scheme)://\(host)\(encodedPath)?\(S3Signer.canonicalQuery(signedQuery))&X-Amz-Signature=\(signature)"
    }

    /// The request's own parameters plus the `X-Amz-*` ones that say how it is signed;
    /// all of them are covered by the signature, which is appended after.
    func signingQuery(query: [String: String], expires: Int, timestamp: SigV4Timestamp) -> [String: String] {
        var all = query
        all["X-Amz-Algorithm"] = "AWS4-HMAC-SHA256"
        all["X-Amz-Credential"] = "\(signer.accessKeyID)/\(signer.credentialScope(day: timestamp.day))"
        all["X-Amz-Date"] = timestamp.dateTime
        all["X-Amz-Expires"] = String(expires)
        all["X-Amz-SignedHeaders"] = "host"
        if let sessionToken = signer.sessionToken {
            all["X-Amz-Security-Token"] = sessionToken
        }
        return all
    }
}
