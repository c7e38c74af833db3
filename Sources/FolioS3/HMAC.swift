import CCrypto

/// HMAC-SHA256 from libcrypto, the keyed hash every SigV4 derivation step uses (and Folio's own
/// presigned local URLs).
public enum HMAC {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                CCrypto.HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                    messageBytes.baseAddress, messageBytes.count, &output, &length)
            }
        }
        try checkCrypto(result != nil, "HMAC")
        return Array(output.prefix(Int(length)))
    }

    /// HMAC-SHA256 of a UTF-8 string message.
    public static func sha256(key: [UInt8], message: String) throws -> [UInt8] {
        try sha256(key: key, message: Array(message.utf8))
    }
}
