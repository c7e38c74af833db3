import Foundation

/// Encodes any `Encodable` to a `JSONValue`, and so to text written by Folio's own JSON writer: the
/// numbers in `JSONValue`s (metadata) come out exactly as they are stored — integers of any size digit
/// for digit, doubles as Python's `repr` writes them (`1.0`, not Foundation's `1`) — and every other
/// double, date or integer the same way. Keys are sorted (by code point, as Python sorts them), slashes
/// are not escaped, dates are ISO 8601 (`2024-05-01T12:00:00Z`) — the conventions the HTTP replies and
/// the CLI's `--json` output had with `JSONEncoder`.
public struct JSONValueEncoder: Sendable {
    /// How the text is laid out.
    public var layout: JSONValue.Layout

    /// An encoder writing `layout` (compact, as HTTP replies are, by default).
    public init(layout: JSONValue.Layout = .compact) {
        self.layout = layout
    }

    /// `value` as a JSON value tree.
    public func value(_ value: some Encodable) throws -> JSONValue {
        let node = EncodingNode()
        try node.encode(value, codingPath: [])
        return node.resolved
    }

    /// `value` as UTF-8 JSON text.
    public func encode(_ value: some Encodable) throws -> Data {
        Data(try self.value(value).bytes(layout: layout))
    }
}

/// A value under construction: containers hand out child nodes and fill them in as values arrive, so
/// nested containers can be written after they were created (as `Encoder` allows).
private final class EncodingNode {
    var value: JSONValue?
    var members: [String: EncodingNode]?
    var elements: [EncodingNode]?

    var resolved: JSONValue {
        if let members { return .object(members.mapValues(\.resolved)) }
        if let elements { return .array(elements.map(\.resolved)) }
        // A type whose encode(to:) wrote nothing is `{}`, as JSONEncoder writes it.
        return value ?? .object([:])
    }

    func makeObject() {
        if members == nil {
            value = nil
            elements = nil
            members = [:]
        }
    }

    func makeArray() {
        if elements == nil {
            value = nil
            members = nil
            elements = []
        }
    }

    func set(_ newValue: JSONValue) {
        members = nil
        elements = nil
        value = newValue
    }

    /// Encodes `value` into this node: Folio's `JSONValue` as it is, Foundation's special kinds the way
    /// `JSONEncoder` writes them, anything else through its own `encode(to:)`.
    func encode<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case let json as JSONValue: set(json)
        case let date as Date: set(.string(date.formatted(.iso8601)))
        case let url as URL: set(.string(url.absoluteString))
        case let data as Data: set(.string(data.base64EncodedString()))
        case let decimal as Decimal:
            let text = decimal.description
            if let integer = JSONInteger(text) {
                set(.int(integer))
            } else {
                set(.double(try EncodingNode.finite(Double(text) ?? .nan, codingPath: codingPath)))
            }
        default:
            try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
        }
    }

    static func finite(_ value: Double, codingPath: [any CodingKey]) throws -> Double {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "JSON has no NaN or infinity"))
        }
        return value
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueNodeContainer(node: node, codingPath: codingPath)
    }
}

/// The leaf values every container writes the same way.
private enum Leaf {
    static func integer(_ value: some BinaryInteger) -> JSONValue { .int(JSONInteger(value)) }

    static func float(_ value: Float, codingPath: [any CodingKey]) throws -> JSONValue {
        // Through its own shortest text, so 0.1 as a Float is written 0.1 (as JSONEncoder writes it),
        // not as the double it widens to.
        .double(try EncodingNode.finite(Double(value.description) ?? .nan, codingPath: codingPath))
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func child(_ key: Key) -> EncodingNode {
        let child = EncodingNode()
        node.members![key.stringValue] = child
        return child
    }

    private func set(_ value: JSONValue, _ key: Key) { child(key).set(value) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(.double(try EncodingNode.finite(value, codingPath: codingPath + [key])), key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try Leaf.float(value, codingPath: codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(Leaf.integer(value), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try child(key).encode(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = child(key)
        nested.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = child(key)
        nested.makeArray()
        return UnkeyedNodeContainer(node: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: child(Key(stringValue: "super")!), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: child(key), codingPath: codingPath + [key])
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.elements?.count ?? 0 }

    private func child() -> EncodingNode {
        let child = EncodingNode()
        node.elements!.append(child)
        return child
    }

    private func append(_ value: JSONValue) { child().set(value) }
    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(.double(try EncodingNode.finite(value, codingPath: nextPath))) }
    mutating func encode(_ value: Float) throws { append(try Leaf.float(value, codingPath: nextPath)) }
    mutating func encode(_ value: Int) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: Int8) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: Int16) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: Int32) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: Int64) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: UInt) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: UInt8) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: UInt16) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: UInt32) throws { append(Leaf.integer(value)) }
    mutating func encode(_ value: UInt64) throws { append(Leaf.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try child().encode(value, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        let nested = child()
        nested.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let nested = child()
        nested.makeArray()
        return UnkeyedNodeContainer(node: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return NodeEncoder(node: child(), codingPath: path)
    }
}

private struct SingleValueNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { node.set(.double(try EncodingNode.finite(value, codingPath: codingPath))) }
    mutating func encode(_ value: Float) throws { node.set(try Leaf.float(value, codingPath: codingPath)) }
    mutating func encode(_ value: Int) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: Int8) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: Int16) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: Int32) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: Int64) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: UInt) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: UInt8) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: UInt16) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: UInt32) throws { node.set(Leaf.integer(value)) }
    mutating func encode(_ value: UInt64) throws { node.set(Leaf.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value, codingPath: codingPath) }
}
