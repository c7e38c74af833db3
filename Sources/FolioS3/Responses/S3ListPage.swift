import Foundation

/// One object in a listing.
public struct S3ListEntry: Sendable, Hashable {
    /// The object's full key.
    public var key: String
    /// The stored size in bytes.
    public var size: Int
    /// The entity tag, without the surrounding quotes.
    public var etag: String?
    /// When the object was last written.
    public var lastModified: Date?

    /// An entry with the given parts.
    public init(key: String, size: Int, etag: String? = nil, lastModified: Date? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// One page of a `ListObjectsV2` listing, in key order.
public struct S3ListPage: Sendable, Hashable {
    /// The objects on this page.
    public var keys: [S3ListEntry]
    /// Pass to the next `listObjects` call to continue; nil on the last page.
    public var nextContinuationToken: String?

    /// A page with the given parts.
    public init(keys: [S3ListEntry], nextContinuationToken: String? = nil) {
        self.keys = keys
        self.nextContinuationToken = nextContinuationToken
    }
}
