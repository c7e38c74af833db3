import CCrypto

/// Turns a failed libcrypto call into an `S3Error` naming the function and OpenSSL's reason.
/// libcrypto reports success as 1 (or a non-null pointer) and queues the reason per thread.
func checkCrypto(_ succeeded: Bool, _ function: String, file: String = #fileID, line: Int = #line) throws {
    if succeeded { return }
    var reasons: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    let reason = reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    throw S3Error(code: .internalFailure, message: "\(function) failed: \(reason)", file: file, line: line)
}
