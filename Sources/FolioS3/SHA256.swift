import CCrypto
import Foundation

/// SHA-256 from libcrypto, for payload hashes and the canonical-request hash of SigV4.
enum SHA256 {
    /// The 32-byte digest of `bytes`.
    static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        try checkCrypto(status == 1, "EVP_Digest")
        return Array(digest.prefix(Int(length)))
    }

    /// The lowercase hex digest of `bytes`, as SigV4 writes hashes.
    static func hexHash<Bytes: ContiguousBytes>(_ bytes: Bytes) throws -> String {
        try hash(bytes).hexString
    }

    /// The hex digest of an empty payload, precomputed because GET, HEAD and DELETE all send it.
    static let emptyPayloadHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}
