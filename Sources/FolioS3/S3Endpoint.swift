import Foundation

/// Where requests for one bucket go: the scheme, the `Host` to send and sign, and the
/// unencoded path for a key. Resolved once from the configuration.
struct S3Endpoint: Sendable, Hashable {
    let scheme: String
    /// `host[:port]`, lowercase, port omitted when it is the scheme's default (as signed).
    let host: String
    /// `host[:port]` for the URL, keeping a default port the configuration spelled out.
    let authority: String
    /// The path prefix before the bucket or key, without a trailing slash.
    let basePath: String
    let bucket: String
    /// Whether the bucket is in the path rather than in the host name.
    let bucketInPath: Bool

    init(configuration: S3Configuration) throws {
        let bucket = configuration.bucket
        guard !bucket.isEmpty, bucket.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw S3Error(code: .invalidConfiguration, message: "bucket name \"\(bucket)\" must be non-empty printable ASCII without '/'")
        }
        self.bucket = bucket
        guard let endpoint = configuration.endpoint else {
            let region = configuration.region
            scheme = "https"
            basePath = ""
            // Virtual-hosted style breaks TLS for bucket names with dots (the wildcard
            // certificate covers one label), so those stay in the path.
            bucketInPath = configuration.pathStyle || bucket.contains(".")
            host = bucketInPath ? "s3.\(region).amazonaws.com" : "\(bucket.lowercased()).s3.\(region).amazonaws.com"
            authority = host
            return
        }
        guard let components = URLComponents(string: endpoint),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let hostName = components.host, !hostName.isEmpty
        else {
            throw S3Error(code: .invalidConfiguration, message: "endpoint \"\(endpoint)\" is not an http:// or https:// URL with a host")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw S3Error(code: .invalidConfiguration, message: "endpoint \"\(endpoint)\" must not carry a query, fragment or user info")
        }
        self.scheme = scheme
        var hostPart = hostName.lowercased()
        if hostPart.contains(":") && !hostPart.hasPrefix("[") {
            hostPart = "[\(hostPart)]"
        }
        var authorityPart = hostPart
        if let port = components.port {
            authorityPart += ":\(port)"
            if port != (scheme == "https" ? 443 : 80) {
                hostPart += ":\(port)"
            }
        }
        bucketInPath = configuration.pathStyle
        let bucketLabel = bucketInPath ? "" : "\(bucket.lowercased())."
        host = bucketLabel + hostPart
        authority = bucketLabel + authorityPart
        var base = components.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        guard let decodedBase = base.removingPercentEncoding else {
            throw S3Error(code: .invalidConfiguration, message: "endpoint \"\(endpoint)\" has a malformed path")
        }
        basePath = decodedBase
    }

    /// The unencoded path of an object, or of the bucket itself when `key` is nil.
    func path(key: String?) -> String {
        let bucketPart = bucketInPath ? "/\(bucket)" : ""
        guard let key else {
            return basePath + (bucketPart.isEmpty ? "/" : bucketPart)
        }
        return basePath + bucketPart + "/" + key
    }

    /// The URL for `path` (unencoded) and an already-canonical query string.
    func url(path: String, canonicalQuery: String) -> String {
        "\(scheme)://\(authority)\(URIEncoding.encodePath(path))" + (canonicalQuery.isEmpty ? "" : "?\(canonicalQuery)")
    }
}
