import FolioSupport
import Foundation

/// SigV4's hashes: lowercase hex SHA-256 of payloads and canonical requests.
enum SHA256 {
    /// The lowercase hex digest of `bytes`.
    static func hexHash<Bytes: ContiguousBytes>(_ bytes: Bytes) throws -> String {
        try Hex.string(Digest.sha256(bytes))
    }

    /// The hex digest of an empty payload, precomputed because GET, HEAD and DELETE all send it.
    static let emptyPayloadHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}
