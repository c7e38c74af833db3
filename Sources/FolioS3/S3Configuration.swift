/// Where and as whom an `S3Client` talks to S3.
public struct S3Configuration: Sendable {
    /// Base URL of an S3-compatible server, e.g. `http://127.0.0.1:8333`; nil means AWS
    /// (`https://{bucket}.s3.{region}.amazonaws.com`).
    public var endpoint: String?
    /// The region requests are signed for; S3-compatible servers usually accept `us-east-1`.
    public var region: String
    /// The bucket every object call addresses.
    public var bucket: String
    /// The access key id.
    public var accessKeyID: String
    /// The secret access key; only used to sign, never sent.
    public var secretAccessKey: String
    /// The token of temporary credentials, if any.
    public var sessionToken: String?
    /// Addresses the bucket in the path (`/{bucket}/{key}`) instead of the host name, which
    /// servers on an IP address or without wildcard DNS need.
    public var pathStyle: Bool
    /// Seconds to wait for a connection.
    public var connectTimeout: Double
    /// Seconds one request may take in total, transfer included.
    public var requestTimeout: Double

    /// A configuration; `pathStyle` defaults to true exactly when an `endpoint` is given.
    public init(
        bucket: String,
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        region: String = "us-east-1",
        endpoint: String? = nil,
        pathStyle: Bool? = nil,
        connectTimeout: Double = 10,
        requestTimeout: Double = 60
    ) {
        self.bucket = bucket
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle ?? (endpoint != nil)
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }
}
