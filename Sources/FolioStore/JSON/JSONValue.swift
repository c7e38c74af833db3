import Foundation

/// Any JSON value: the envelope's metadata is free-form, and must round-trip exactly as Python's `json`
/// module would carry it — integers of any size keep every digit, floats are written as Python's
/// `repr(float)` writes them (`1.0`, `1e+16`, `5e-324`).
/// Parsed by `JSONParser` (numbers as Python reads them), never through `Decodable`.
public enum JSONValue: Sendable, Equatable, Hashable, Encodable {
    case null
    case bool(Bool)
    /// An integer of any size (Python's `int`): `.int(123)` works as before, and integers beyond 64 bits
    /// keep their exact digits.
    case int(JSONInteger)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An integer of any Swift integer type (`.integer(index)`), for callers holding an `Int` or `Int64`
    /// rather than a literal.
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .int(JSONInteger(value)) }

    /// Encodes the value as it is, for encoders other than Folio's own (`JSONValueEncoder` writes the
    /// exact text instead). Integers beyond 64 bits go as `Decimal` where that keeps every digit.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value):
            if let small = value.int64Value {
                try container.encode(small)
            } else if let decimal = Decimal(string: value.description), decimal.description == value.description {
                try container.encode(decimal)
            } else {
                try container.encode(value.doubleValue)
            }
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// What kind of value this is, for error messages: "a string", "an object", "null", ...
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
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

    /// How the text is laid out; numbers and strings are written the same way in every layout.
    public enum Layout: Sendable, Equatable {
        /// `", "` and `": "` separators on one line: Python's `json.dumps(sort_keys=True, ensure_ascii=False)`,
        /// what git and the mirror hold.
        case canonical
        /// `","` and `":"`: `json.dumps(..., separators=(",", ":"))`, what HTTP replies use.
        case compact
        /// One member per line, indented by `indent` spaces: `json.dumps(..., indent=indent)`.
        case pretty(indent: Int)
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

    /// The text in `layout` as UTF-8 bytes; keys are always sorted.
    public func bytes(layout: Layout) -> [UInt8] {
        var output: [UInt8] = []
        write(to: &output, layout: layout)
        return output
    }

    func write(to output: inout [UInt8], layout: Layout = .canonical) {
        switch layout {
        case .canonical: write(to: &output, Style(item: ", ", key: ": ", indent: nil), depth: 0)
        case .compact: write(to: &output, Style(item: ",", key: ":", indent: nil), depth: 0)
        case .pretty(let indent): write(to: &output, Style(item: ",", key: ": ", indent: max(indent, 0)), depth: 0)
        }
    }

    /// The separators and indentation of a layout (Python's `separators` and `indent`).
    private struct Style {
        var item: StaticString
        var key: StaticString
        var indent: Int?
    }

    private func write(to output: inout [UInt8], _ style: Style, depth: Int) {
        func append(_ text: StaticString) {
            output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func newLine(depth: Int) {
            guard let indent = style.indent else { return }
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * depth))
        }
        switch self {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .int(let value): value.write(to: &output)
        case .double(let value): JSONValue.writeDouble(value, to: &output)
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { append(style.item) }
                newLine(depth: depth + 1)
                value.write(to: &output, style, depth: depth + 1)
            }
            if !values.isEmpty { newLine(depth: depth) }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, key) in JSONValue.sortedKeys(members).enumerated() {
                if index > 0 { append(style.item) }
                newLine(depth: depth + 1)
                JSONValue.writeString(key, to: &output)
                append(style.key)
                members[key]!.write(to: &output, style, depth: depth + 1)
            }
            if !members.isEmpty { newLine(depth: depth) }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Keys in the order Python's `sort_keys` gives them: by Unicode code point, which is the order of
    /// their UTF-8 bytes (Swift's own `<` compares canonically equivalent forms, which Python does not).
    static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        members.keys.sorted(by: utf8Precedes)
    }

    /// True when `a`'s UTF-8 bytes sort before `b`'s.
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in
                let common = min(left.count, right.count)
                if common > 0 {
                    let order = memcmp(left.baseAddress!, right.baseAddress!, common)
                    if order != 0 { return order < 0 }
                }
                return left.count < right.count
            }
        }
    }

    /// A double as Python's `repr(float)` writes it: the shortest digits that read back as the same
    /// double, in positional notation (`1.0`, `0.0001`, `1000000000000000.0`) when the decimal exponent
    /// is from -4 to 15, else in scientific notation with a signed, at least two-digit exponent (`1e+16`,
    /// `1.5e-07`, `5e-324`). JSON has no NaN or infinity; they are written as `null` (the parser never
    /// produces them).
    static func writeDouble(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        if value.sign == .minus { output.append(UInt8(ascii: "-")) }
        if value == 0 {
            output.append(contentsOf: "0.0".utf8)
            return
        }
        // Swift's description holds the shortest round-trip digits (as Python's repr does); only the
        // layout differs, so read the digits and the decimal exponent out of it.
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var pointPosition: Int?
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        for byte in value.magnitude.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    digits.append(byte)
                }
            case UInt8(ascii: "."): pointPosition = digits.count
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): exponentSign = -1
            default: break
            }
        }
        // The value is 0.DIGITS × 10^decimalPoint.
        var decimalPoint = (pointPosition ?? digits.count) + exponentSign * exponent
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(leadingZeros)
        decimalPoint -= leadingZeros
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }

        if decimalPoint <= -4 || decimalPoint > 16 {
            output.append(digits[0])
            if digits.count > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            let shown = decimalPoint - 1
            output.append(contentsOf: (shown < 0 ? "e-" : "e+").utf8)
            if abs(shown) < 10 { output.append(UInt8(ascii: "0")) }
            output.append(contentsOf: String(abs(shown)).utf8)
        } else if decimalPoint <= 0 {
            output.append(contentsOf: "0.".utf8)
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -decimalPoint))
            output.append(contentsOf: digits)
        } else if decimalPoint >= digits.count {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimalPoint - digits.count))
            output.append(contentsOf: ".0".utf8)
        } else {
            output.append(contentsOf: digits[..<decimalPoint])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[decimalPoint...])
        }
    }

    /// `value` as Python's `repr(float)` writes it (see `writeDouble`).
    public static func pythonRepr(_ value: Double) -> String {
        var output: [UInt8] = []
        writeDouble(value, to: &output)
        return String(decoding: output, as: UTF8.self)
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

/// A JSON integer of any size, as Python's `int` holds it: values that fit 64 bits are stored as
/// `Int64`, larger ones as their exact decimal digits, so `123456789012345678901234567890` is written
/// back digit for digit instead of becoming `1.2345678901234568e+29`.
public struct JSONInteger: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    private enum Storage: Sendable, Hashable {
        case small(Int64)
        /// Canonical decimal text outside `Int64`'s range: an optional `-`, no leading zeros.
        case big(String)
    }

    private let storage: Storage

    /// A 64-bit integer.
    public init(_ value: Int64) { storage = .small(value) }

    /// Any integer (a `UInt64` above `Int64.max` keeps its digits).
    public init(_ value: some BinaryInteger) {
        if let small = Int64(exactly: value) {
            storage = .small(small)
        } else {
            storage = .big(String(value))
        }
    }

    /// An integer literal.
    public init(integerLiteral value: Int64) { storage = .small(value) }

    /// Decimal text: an optional `-` and one or more digits (leading zeros are dropped; `-0` is 0).
    /// Nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.first != UInt8(ascii: "+") else { return nil }
        if let small = Int64(text) {
            storage = .small(small)
            return
        }
        var utf8 = Substring(text).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty, utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let significant = utf8.drop { $0 == UInt8(ascii: "0") }
        let digits = significant.isEmpty ? "0" : String(decoding: significant, as: UTF8.self)
        let canonical = negative && digits != "0" ? "-" + digits : digits
        if let small = Int64(canonical) {
            storage = .small(small)
        } else {
            storage = .big(canonical)
        }
    }

    /// The value when it fits 64 bits.
    public var int64Value: Int64? {
        if case .small(let value) = storage { return value }
        return nil
    }

    /// The nearest double (what `float(value)` gives in Python).
    public var doubleValue: Double {
        switch storage {
        case .small(let value): return Double(value)
        case .big(let text): return Double(text) ?? .nan
        }
    }

    /// The exact decimal text, as Python's `str(int)` writes it.
    public var description: String {
        switch storage {
        case .small(let value): return String(value)
        case .big(let text): return text
        }
    }

    func write(to output: inout [UInt8]) {
        switch storage {
        case .small(let value): output.append(contentsOf: String(value).utf8)
        case .big(let text): output.append(contentsOf: text.utf8)
        }
    }
}
