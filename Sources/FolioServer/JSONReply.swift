import FolioStore
import Foundation
import Hummingbird

/// Encodes replies the same way everywhere: Folio's own JSON writer (`JSONValueEncoder`), compact,
/// sorted keys, unescaped slashes, ISO 8601 dates — and numbers as Python writes them, so metadata in a
/// reply reads exactly as git and the mirror hold it (`123456789012345678901234567890` digit for digit,
/// `1.0` not `1`, `1e+16`), which Foundation's `JSONEncoder` cannot do.
enum JSONReply {
    /// One encoder for every reply: it keeps no state between `encode` calls.
    private static let shared = JSONValueEncoder(layout: .compact)

    static let contentType = "application/json; charset=utf-8"

    /// Headers every reply carries: browsers must not guess another type than the one declared (a diff
    /// or a document holds user text that could otherwise be sniffed as HTML).
    static let commonHeaders: HTTPFields = [.xContentTypeOptions: "nosniff"]

    /// `value` as JSON bytes, encoded the one way replies are.
    static func encode(_ value: some Encodable) throws -> Data {
        try shared.encode(value)
    }

    /// A JSON response holding `value`.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        bytes(try encode(value), contentType: contentType, status: status, headers: headers)
    }

    /// A response holding `data` as it is.
    static func bytes(_ data: some Collection<UInt8>, contentType: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        for field in commonHeaders where fields[field.name] == nil { fields.append(field) }
        fields[.contentType] = contentType
        fields[.contentLength] = String(data.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
