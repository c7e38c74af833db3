import FolioSupport
import Foundation

/// A URL that lets its holder download one mirrored file until it expires, without credentials.
public struct PresignedURL: Sendable, Equatable {
    /// The URL. Folio's own is a path (`/files/…?commit=…&expires=…&signature=…`) that the server
    /// serving it may make absolute; S3's (`FOLIO_PRESIGN_DIRECT_S3`) is the full SigV4 presigned URL.
    public var url: String
    /// When it stops working.
    public var expiresAt: Date
    /// The version it serves: Folio's URLs serve exactly this commit's version of the file.
    public var commit: ObjectID
}

/// Signs and checks presigned URLs for the local mirror with HMAC-SHA256 under a secret kept in the data
/// folder (created on first use, readable by the owner only), so URLs survive restarts but not a new secret.
struct LocalURLSigner: Sendable {
    let secret: [UInt8]

    /// Loads the secret at `path`, creating a random 32-byte one if there is none.
    init(secretPath: String) throws {
        if let existing = FileManager.default.contents(atPath: secretPath), existing.count >= 32 {
            secret = Array(existing)
            return
        }
        var generator = SystemRandomNumberGenerator()
        let fresh = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let folder = (secretPath as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: secretPath, contents: Data(fresh), attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.unavailable, "cannot create the presign secret at \(secretPath)")
        }
        secret = fresh
    }

    /// The path and query of a URL for `key` as of `commit`, valid until `expiresAt`.
    func sign(_ key: FileKey, commit: ObjectID, expiresAt: Date) throws -> String {
        let expires = Int64(expiresAt.timeIntervalSince1970)
        return "/files/\(key.path)?commit=\(commit.hex)&expires=\(expires)&signature=\(try signature(key.path, commit.hex, expires))"
    }

    /// Checks a presented URL: the signature must match and the time must not have passed.
    func verify(keyPath: String, commit: String, expires: String, signature presented: String, now: Date) throws {
        guard let expiresAt = Int64(expires) else {
            throw StoreError(.forbidden, "the URL's expires parameter is missing or malformed")
        }
        let expected = try signature(keyPath, commit, expiresAt)
        // Compare without an early exit so timing does not reveal how much of a forgery was right.
        let matches = expected.utf8.count == presented.utf8.count
            && zip(expected.utf8, presented.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        guard matches else { throw StoreError(.forbidden, "the URL's signature is not valid") }
        guard Int64(now.timeIntervalSince1970) <= expiresAt else { throw StoreError(.forbidden, "the URL has expired") }
    }

    /// Over the method, the file, the commit and the expiry: none can be changed without the secret.
    private func signature(_ keyPath: String, _ commit: String, _ expires: Int64) throws -> String {
        let mac = try Digest.hmacSHA256(key: secret, message: Array("GET\n\(keyPath)\n\(commit)\n\(expires)".utf8))
        return Hex.string(mac)
    }
}
