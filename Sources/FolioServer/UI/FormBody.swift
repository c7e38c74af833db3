import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body, as the UI's forms post it.
struct FormBody {
    private var fields: [String: String] = [:]

    /// Reads and decodes the body (at most `limit` bytes); a field given twice keeps its first value.
    static func read(_ request: Request, limit: Int) async throws -> FormBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "too_large", "the form is larger than \(limit) bytes")
        }
        return FormBody(String(buffer: buffer))
    }

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else { continue }
            if fields[name] == nil { fields[name] = value }
        }
    }

    subscript(_ name: String) -> String? { fields[name] }
}
