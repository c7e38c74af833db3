import Foundation
import Hummingbird

/// Encodes replies the same way everywhere: sorted keys, unescaped slashes, ISO 8601 dates.
enum JSONReply {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// One configured encoder for every reply: JSONEncoder is Sendable and keeps no state between
    /// `encode` calls, and building one per request showed up in load profiles.
    private static let shared = encoder()

    static let contentType = "application/json; charset=utf-8"

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
        fields[.contentType] = contentType
        fields[.contentLength] = String(data.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
