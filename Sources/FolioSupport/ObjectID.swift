/// A git object id (SHA-1): a commit, tree or blob. Held as its 40-character lowercase hex form, the
/// form every boundary (catalog rows, JSON replies, trailers) speaks.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The full hex id.
    public let hex: String

    /// Parses a full 40-character hex id; returns nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy(Hex.isDigit) else { return nil }
        self.hex = hex.lowercased()
    }

    /// The id of 20 raw bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 20, "an object id has 20 bytes")
        self.hex = Hex.string(bytes.prefix(20))
    }

    /// The first seven characters, as git shows ids to people.
    public var short: String { String(hex.prefix(7)) }

    /// The hex id.
    public var description: String { hex }

    /// Orders ids by their hex form (only for stable output).
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    /// Encodes as the hex string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    /// Decodes from a full hex string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 40-character object id: \(text)")
        }
        self = id
    }

    /// True when `text` could be a (possibly abbreviated) hex id: 4 to 40 hex digits.
    public static func looksLikeHex(_ text: String) -> Bool {
        (4...40).contains(text.utf8.count) && text.utf8.allSatisfy(Hex.isDigit)
    }
}
