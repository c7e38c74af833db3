import Foundation

/// An object read with `S3Client.getObject(key:)`.
public struct S3Object: Sendable {
    /// The object's bytes, already gunzipped when it was stored with `Content-Encoding: gzip`.
    public var body: Data
    /// User metadata (`x-amz-meta-*` headers) with the prefix removed and names lowercased.
    public var metadata: [String: String]
    /// The stored `Content-Encoding`, e.g. `gzip`; `body` is decoded regardless.
    public var contentEncoding: String?
    /// The entity tag, without the surrounding quotes.
    public var etag: String?
    /// The stored `Content-Type`.
    public var contentType: String?
    /// When the object was last written, if the server said.
    public var lastModified: Date?

    /// An object with the given parts.
    public init(body: Data, metadata: [String: String] = [:], contentEncoding: String? = nil, etag: String? = nil, contentType: String? = nil, lastModified: Date? = nil) {
        self.body = body
        self.metadata = metadata
        self.contentEncoding = contentEncoding
        self.etag = etag
        self.contentType = contentType
        self.lastModified = lastModified
    }
}

/// What `S3Client.headObject(key:)` learns about an object without downloading it.
public struct S3ObjectHead: Sendable {
    /// The stored size in bytes (compressed size when `contentEncoding` is `gzip`).
    public var size: Int
    /// The entity tag, without the surrounding quotes.
    public var etag: String?
    /// User metadata (`x-amz-meta-*` headers) with the prefix removed and names lowercased.
    public var metadata: [String: String]
    /// The stored `Content-Encoding`, e.g. `gzip`.
    public var contentEncoding: String?
    /// The stored `Content-Type`.
    public var contentType: String?
    /// When the object was last written.
    public var lastModified: Date?

    /// A head with the given parts.
    public init(size: Int, etag: String? = nil, metadata: [String: String] = [:], contentEncoding: String? = nil, contentType: String? = nil, lastModified: Date? = nil) {
        self.size = size
        self.etag = etag
        self.metadata = metadata
        self.contentEncoding = contentEncoding
        self.contentType = contentType
        self.lastModified = lastModified
    }
}
