internal import CCrypto
import Foundation

/// Digests and keyed hashes from libcrypto: SHA-1 for git's pack trailers, SHA-256 and HMAC-SHA256 for
/// SigV4 and Folio's signed local URLs.
public enum Digest {
    /// The 20-byte SHA-1 of `bytes`.
    public static func sha1<Bytes: ContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        try digest(bytes, EVP_sha1())
    }

    /// The 32-byte SHA-256 of `bytes`.
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        try digest(bytes, EVP_sha256())
    }

    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), messageBytes.baseAddress, messageBytes.count, &output, &length)
            }
        }
        try check(result != nil, "HMAC")
        return Array(output.prefix(Int(length)))
    }

    /// HMAC-SHA256 of a UTF-8 string message.
    public static func hmacSHA256(key: [UInt8], message: String) throws -> [UInt8] {
        try hmacSHA256(key: key, message: Array(message.utf8))
    }

    private static func digest<Bytes: ContiguousBytes>(_ bytes: Bytes, _ type: OpaquePointer?) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, type, nil) }
        try check(status == 1, "EVP_Digest")
        return Array(digest.prefix(Int(length)))
    }

    /// A SHA-1 fed in pieces, for data too large to hold at once (a pack written as it is built).
    public final class SHA1Stream {
        private let context: OpaquePointer

        public init() throws {
            guard let context = EVP_MD_CTX_new() else { throw SystemError(function: "EVP_MD_CTX_new", message: "out of memory") }
            self.context = context
            try Digest.check(EVP_DigestInit_ex(context, EVP_sha1(), nil) == 1, "EVP_DigestInit_ex")
        }

        deinit { EVP_MD_CTX_free(context) }

        public func update(_ bytes: UnsafeRawBufferPointer) throws {
            guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
            try Digest.check(EVP_DigestUpdate(context, start, bytes.count) == 1, "EVP_DigestUpdate")
        }

        /// The 20-byte digest of everything fed so far; the stream is spent afterwards.
        public func finish() throws -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            try Digest.check(EVP_DigestFinal_ex(context, &digest, &length) == 1, "EVP_DigestFinal_ex")
            return Array(digest.prefix(Int(length)))
        }
    }

    /// libcrypto reports success as 1 (or a non-null pointer) and queues the reasons for a failure per thread.
    private static func check(_ succeeded: Bool, _ function: String) throws {
        if succeeded { return }
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        throw SystemError(function: function, message: reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; "))
    }
}
