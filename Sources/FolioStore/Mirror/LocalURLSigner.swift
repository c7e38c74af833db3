import FolioSupport
import Foundation

/// A URL that lets its holder download one mirrored file until it expires, without credentials.
public struct PresignedURL: Sendable, Equatable {
    /// The URL. For the local mirror it is a path (`/files/…?expires=…&signature=…`) that the server
    /// serving it turns into an absolute URL; for S3 it is the full SigV4 presigned URL.
    public var url: String
    /// When it stops working.
    public var expiresAt: Date
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

    /// The path and query of a URL for `key` valid until `expiresAt`.
    func sign(_ key: FileKey, expiresAt: Date) throws -> String {
        let expires = Int64(expiresAt.timeIntervalSince1970)
        return "/files/\(key.path)?expires=\(expires)&signature=\(try signature(key.path, expires))"
    }

    /// Checks a presented URL: the signature must match and the time must not have passed.
    func verify(keyPath: String, expires: String, signature presented: String, now: Date) throws {
        guard let expiresAt = Int64(expires) else {
            throw StoreError(.forbidden, "the URL's expires parameter is missing or malformed")
        }
        let expected = try signature(keyPath, expiresAt)
        // Compare without an early exit so timing does not reveal how much of a forgery was right.
        let matches = expected.utf8.count == presented.utf8.count
            && zip(expected.utf8, presented.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        guard matches else { throw StoreError(.forbidden, "the URL's signature is not valid") }
        guard Int64(now.timeIntervalSince1970) <= expiresAt else { throw StoreError(.forbidden, "the URL has expired") }
    }

    private func signature(_ keyPath: String, _ expires: Int64) throws -> String {
        let mac = try Digest.hmacSHA256(key: secret, message: Array("GET\n\(keyPath)\n\(expires)".utf8))
        return Hex.string(mac)
    }
}
