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

    /// What keeps a text from being a document's content, whoever checks it (a save, a batch, a
    /// migration, the push hook): more than `limit` bytes of UTF-8, or a NUL character.
    public enum ContentProblem: Sendable, Equatable {
        case tooLarge(bytes: Int)
        case nul
    }

    /// The problem with `content` as a document's content, nil when there is none.
    public static func contentProblem(_ content: String, limit: Int) -> ContentProblem? {
        let size = content.utf8.count
        if size > limit { return .tooLarge(bytes: size) }
        return content.unicodeScalars.contains("\0") ? .nul : nil
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

    /// How a decode error names the file when the caller did not say which it was.
    public static let unnamedFile = "the stored file"

    /// Parses envelope bytes (from git, the mirror or a legacy export). Bytes that are not a Folio
    /// envelope — not JSON, not an object, no string `content`, or a `metadata` / `type` of the wrong
    /// kind (committed around Folio, say) — throw `.invalidDocument`, naming `key` when the caller gives it
    /// (else "the stored file", which the HTTP layer replaces with the key the request named).
    public static func decode(_ data: Data, key: String? = nil) throws -> Envelope {
        let file = key ?? Envelope.unnamedFile
        func invalid(_ problem: String, cause: (any Error)? = nil) -> StoreError {
            StoreError(.invalidDocument, "\(file) is not a valid Folio document: \(problem)", cause: cause)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw invalid("it is not JSON (\(error))", cause: error)
        }
        guard let members = value.objectValue else {
            throw invalid("it is \(value.kindDescription), not an object with \"content\", \"metadata\" and \"type\"")
        }
        guard case .string(let content)? = members["content"] else {
            let found = members["content"].map { "is \($0.kindDescription)" } ?? "is missing"
            throw invalid("its \"content\" \(found); it must be a string")
        }
        let metadata: [String: JSONValue]
        switch members["metadata"] {
        case nil, .null?: metadata = [:]
        case .object(let object)?: metadata = object
        case let other?: throw invalid("its \"metadata\" is \(other.kindDescription); it must be an object")
        }
        let type: String
        switch members["type"] {
        case nil, .null?: type = ""
        case .string(let text)?: type = text
        case let other?: throw invalid("its \"type\" is \(other.kindDescription); it must be a string")
        }
        return Envelope(content: content, metadata: metadata, type: type)
    }
}
