import FolioStore
import Foundation
import Hummingbird

/// A request's JSON object body with typed access to its fields; every problem is reported as bad input
/// naming the field and what it should be.
struct JSONBody {
    let fields: [String: JSONValue]

    /// Reads and parses the body, refusing more than `limit` bytes before decoding anything (`contentLimit`
    /// is the content limit a save's refusal names). With `optional`, an empty body is an empty object
    /// (DELETE may come without one).
    static func read(_ request: Request, limit: Int, contentLimit: Int? = nil, optional: Bool = false) async throws -> JSONBody {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.tooLarge(limit: limit, contentLimit: contentLimit)
        }
        var buffer = ByteBuffer()
        for try await chunk in request.body {
            guard buffer.readableBytes + chunk.readableBytes <= limit else {
                throw APIError.tooLarge(limit: limit, contentLimit: contentLimit)
            }
            buffer.writeImmutableBuffer(chunk)
        }
        let data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            if optional { return JSONBody(fields: [:]) }
            throw APIError.invalid("body", "the request body is empty; send a JSON object")
        }
        guard let value = try? JSONValue.parse(data) else {
            throw APIError.invalid("body", "the request body is not valid JSON (UTF-8); send a JSON object")
        }
        guard let object = value.objectValue else {
            throw APIError.invalid("body", "the request body must be a JSON object, not \(value.kindDescription)")
        }
        return JSONBody(fields: object)
    }

    /// A string field; nil when absent or null.
    func string(_ name: String) throws -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw APIError.invalid(name, "\(name) must be a string, not \(other.kindDescription)")
        }
    }

    /// A string field that must be present.
    func requireString(_ name: String, _ meaning: String) throws -> String {
        guard let text = try string(name) else {
            throw APIError.invalid(name, "\(name) is required: \(meaning)")
        }
        return text
    }

    /// An object field; nil when absent or null.
    func object(_ name: String) throws -> [String: JSONValue]? {
        switch fields[name] {
        case nil, .null?: return nil
        case .object(let members)?: return members
        case let other?: throw APIError.invalid(name, "\(name) must be a JSON object, not \(other.kindDescription)")
        }
    }
}
