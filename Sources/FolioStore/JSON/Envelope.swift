import Foundation

/// The bytes Folio commits and mirrors for a file: `{"content", "metadata", "type"}`, the old system's
/// JSON contract, so every existing reader of the bucket keeps working.
public struct Envelope: Sendable, Equatable {
    /// The document's text.
    public var content: String
    /// Free-form metadata (`prd_id`, `prd_name`, `updated_by`, …).
    public var metadata: [String: JSONValue]
    /// `prd` or `implementation`.
    public var type: String

    /// Creates an envelope.
    public init(content: String, metadata: [String: JSONValue], type: String) {
        self.content = content
        self.metadata = metadata
        self.type = type
    }

    /// The canonical bytes: keys sorted, UTF-8, so equal envelopes are equal blobs and a re-save of the
    /// same document is recognised as no change.
    public func encoded() -> Data {
        let value = JSONValue.object([
            "content": .string(content),
            "metadata": .object(metadata),
            "type": .string(type),
        ])
        return Data(value.canonicalBytes)
    }

    /// Parses envelope bytes (from git, the mirror or a legacy export).
    public static func decode(_ data: Data) throws -> Envelope {
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw StoreError(.internal, "stored file is not JSON", cause: error)
        }
        guard let members = value.objectValue, let content = members["content"]?.stringValue else {
            throw StoreError(.internal, "stored file is not a Folio envelope (no string 'content')")
        }
        return Envelope(
            content: content,
            metadata: members["metadata"]?.objectValue ?? [:],
            type: members["type"]?.stringValue ?? "")
    }
}
