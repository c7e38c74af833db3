import Foundation

/// A failed system or libcrypto call: which function, on what, and why.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// The C function that failed (`open`, `fsync`, `EVP_Digest`, …).
    public var function: String
    /// What it was called on and the reason, for people.
    public var message: String
    /// `errno` at the failure, when the call sets it.
    public var code: Int32?

    public init(function: String, message: String, code: Int32? = nil) {
        self.function = function
        self.message = message
        self.code = code
    }

    /// True when the failure was a full disk or quota.
    public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "\(function) failed: \(message)" }

    /// The error for the current `errno` after `function` failed on `subject`.
    public static func errno(_ function: String, _ subject: String) -> SystemError {
        let code = Glibc.errno
        return SystemError(function: function, message: "\(subject): \(String(cString: strerror(code)))", code: code)
    }
}
