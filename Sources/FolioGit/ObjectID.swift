import CGit2

/// A git object id (SHA-1), held as its 40-character lowercase hex form.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The full hex id.
    public let hex: String

    /// Parses a full 40-character hex id; returns nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ ObjectID.isHexDigit($0) }) else { return nil }
        self.hex = hex.lowercased()
    }

    init(_ oid: git_oid) {
        let digits = ObjectID.hexDigits
        self.hex = withUnsafeBytes(of: oid.id) { raw in
            String(unsafeUninitializedCapacity: 40) { buffer in
                for (index, byte) in raw.prefix(20).enumerated() {
                    buffer[index * 2] = digits[Int(byte >> 4)]
                    buffer[index * 2 + 1] = digits[Int(byte & 0x0f)]
                }
                return 40
            }
        }
    }

    /// Built once: ids are formatted on every object the store reads or writes.
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// The libgit2 form, for calls into C.
    var oid: git_oid {
        var oid = git_oid()
        // The hex form was validated on construction, so parsing cannot fail.
        _ = git_oid_fromstrn(&oid, hex, 40)
        return oid
    }

    /// The first seven characters, as git shows ids to people.
    public var short: String { String(hex.prefix(7)) }

    /// The hex id.
    public var description: String { hex }

    /// Orders ids by their hex form (only for stable output).
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    /// Encodes as the hex string.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    /// Decodes from a full hex string.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 40-character object id: \(text)")
        }
        self = id
    }

    /// True for 0-9, a-f and A-F.
    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) || (byte >= 65 && byte <= 70)
    }

    /// True when `text` could be a (possibly abbreviated) hex id: 4 to 40 hex digits.
    public static func looksLikeHex(_ text: String) -> Bool {
        (4...40).contains(text.utf8.count) && text.utf8.allSatisfy(isHexDigit)
    }
}
