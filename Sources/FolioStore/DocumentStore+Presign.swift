internal import FolioGit
import FolioSupport
import Foundation

extension DocumentStore {
    /// A URL that downloads the current version's envelope of `key` for `expires` seconds (default
    /// `FOLIO_PRESIGN_EXPIRES`; 1 to 604800). Folio's URL names the commit it was made for and serves
    /// exactly that version (or refuses), never an older or a later one.
    public func presignedURL(for key: FileKey, expires: Int? = nil, now: Date = Date()) throws -> PresignedURL {
        let seconds = expires ?? configuration.presignExpires
        guard (1...604_800).contains(seconds) else {
            throw StoreError.invalid("expires", "expires=\(seconds) is out of range; use 1 to 604800 seconds")
        }
        catchUpIfBehind()
        guard let document = try catalog.document(key), document.isLive, let commit = document.commit else {
            throw StoreError(.notFound, "\(key.path) does not exist")
        }
        let expiresAt = now.addingTimeInterval(TimeInterval(seconds))
        if configuration.presignDirectS3, let presigner = mirror as? any PresigningMirror {
            return PresignedURL(url: try presigner.presignedURL(for: key, expires: seconds, now: now), expiresAt: expiresAt, commit: commit)
        }
        return PresignedURL(url: try urlSigner.sign(key, commit: commit, expiresAt: expiresAt), expiresAt: expiresAt, commit: commit)
    }

    /// The envelope behind one of Folio's presigned URLs: after checking its signature and expiry
    /// (`.forbidden` when either fails), exactly the version at the URL's commit — from git, or from the
    /// mirror when git cannot be read and the mirror holds that very commit.
    public func readPresigned(keyPath: String, commit: String, expires: String, signature: String, now: Date = Date()) throws -> Data {
        try urlSigner.verify(keyPath: keyPath, commit: commit, expires: expires, signature: signature, now: now)
        let key = try FileKey(parsing: keyPath)
        // Signed by this server, so well formed; checked anyway rather than trusted.
        guard let id = ObjectID(hex: commit) else { throw StoreError(.forbidden, "the URL's commit is malformed") }
        // A file deleted since the URL was made is gone from its URLs too, as the old mirror's objects were.
        guard try catalog.document(key)?.isLive == true else { throw StoreError(.notFound, "\(key.path) does not exist") }
        do {
            guard let data = try readers.withRepository({ try $0.readFile(at: key.path, inCommit: id) }) else {
                throw StoreError(.notFound, "\(key.path) has no version at commit \(id.short)")
            }
            return data
        } catch let error as StoreError {
            throw error
        } catch {
            guard try catalog.document(key)?.commit == id, let data = try mirror?.read(key) else {
                throw StoreError(.unavailable, "\(key.path) at \(id.short) cannot be read from git", cause: error)
            }
            return data
        }
    }
}

/// A mirror that hands out its own presigned URLs (S3).
public protocol PresigningMirror: Mirror {
    /// A presigned GET URL for `key`, valid `expires` seconds from `now`.
    func presignedURL(for key: FileKey, expires: Int, now: Date) throws -> String
}
