import Foundation

/// Any JSON value: the envelope's metadata is free-form, and must round-trip exactly (integers stay integers).
/// Parsed by `JSONParser` (numbers as Python reads them), never through `Decodable`.
public enum JSONValue: Sendable, Equatable, Hashable, Encodable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Encodes the value as it is.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The object's members, or nil for other kinds.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The string, or nil for other kinds.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Parses JSON text (see `JSONParser`).
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { try JSONParser.parse($0.bindMemory(to: UInt8.self)) }
    }

    /// The canonical text: keys sorted, `", "` and `": "` separators, UTF-8 unescaped — the layout of
    /// Python's `json.dumps(sort_keys=True, ensure_ascii=False)`, which the old system wrote.
    public var canonicalText: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// The canonical text as UTF-8 bytes (what is hashed and stored), built without going through String.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        write(to: &output)
        return output
    }

    func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value):
            if value.isFinite, value == value.rounded(), abs(value) < 1e16 {
                output.append(contentsOf: String(format: "%.1f", value).utf8)
            } else if value.isFinite {
                output.append(contentsOf: "\(value)".utf8)
            } else {
                output.append(contentsOf: "null".utf8)
            }
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(contentsOf: ", ".utf8) }
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output.append(contentsOf: ", ".utf8) }
                JSONValue.writeString(key, to: &output)
                output.append(contentsOf: ": ".utf8)
                members[key]!.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: only `"`, `\\` and control characters are escaped (every one of them ASCII), so
    /// runs of other UTF-8 bytes — multi-byte characters included — are copied as they are.
    static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            output.reserveCapacity(output.count + bytes.count + 2)
            var runStart = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): output.append(contentsOf: #"\n"#.utf8)
                case UInt8(ascii: "\r"): output.append(contentsOf: #"\r"#.utf8)
                case UInt8(ascii: "\t"): output.append(contentsOf: #"\t"#.utf8)
                case 0x08: output.append(contentsOf: #"\b"#.utf8)
                case 0x0c: output.append(contentsOf: #"\f"#.utf8)
                default: output.append(contentsOf: String(format: #"\u%04x"#, byte).utf8)
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
