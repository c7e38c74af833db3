internal import FolioGit
import Foundation

extension DocumentStore {
    /// A URL that downloads the mirrored envelope of `key` for `expires` seconds (default
    /// `FOLIO_PRESIGN_EXPIRES`; 1 to 604800).
    public func presignedURL(for key: FileKey, expires: Int? = nil, now: Date = Date()) throws -> PresignedURL {
        let seconds = expires ?? configuration.presignExpires
        guard (1...604_800).contains(seconds) else {
            throw StoreError.invalid("expires", "expires=\(seconds) is out of range; use 1 to 604800 seconds")
        }
        guard let document = try catalog.document(key), document.isLive, document.commit != nil else {
            throw StoreError(.notFound, "\(key.path) does not exist in the mirror")
        }
        let expiresAt = now.addingTimeInterval(TimeInterval(seconds))
        if let presigner = mirror as? any PresigningMirror {
            return PresignedURL(url: try presigner.presignedURL(for: key, expires: seconds, now: now), expiresAt: expiresAt)
        }
        guard mirror is LocalMirror else {
            throw StoreError(.unavailable, "the configured mirror cannot hand out presigned URLs")
        }
        return PresignedURL(url: try urlSigner.sign(key, expiresAt: expiresAt), expiresAt: expiresAt)
    }

    /// The mirrored bytes behind a presigned local URL, after checking its signature and expiry
    /// (`.forbidden` when either fails).
    public func readPresigned(keyPath: String, expires: String, signature: String, now: Date = Date()) throws -> Data {
        try urlSigner.verify(keyPath: keyPath, expires: expires, signature: signature, now: now)
        let key = try FileKey(parsing: keyPath)
        if let data = try mirror?.read(key) { return data }
        // Not mirrored yet (the outbox is behind): serve the same bytes from git.
        guard let document = try catalog.document(key), document.isLive, let blob = document.blob else {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        return try readers.withRepository { try $0.readBlob(blob) }
    }
}

/// A mirror that hands out its own presigned URLs (S3).
public protocol PresigningMirror: Mirror {
    /// A presigned GET URL for `key`, valid `expires` seconds from `now`.
    func presignedURL(for key: FileKey, expires: Int, now: Date) throws -> String
}
