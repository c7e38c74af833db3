import Foundation

/// One HTTP request as the transport sends it: already signed, URL already encoded.
struct HTTPRequest: Sendable {
    var method: String
    var url: String
    /// Header names as they are sent; values must not contain CR or LF.
    var headers: [String: String]
    var body: Data = Data()
    /// Seconds to establish the connection.
    var connectTimeout: Double
    /// Seconds for the whole exchange, connection included.
    var requestTimeout: Double
}

/// The answer to an `HTTPRequest`.
struct HTTPResponse: Sendable {
    var status: Int
    /// Lowercased names; a repeated header keeps its values joined by `, `.
    var headers: [String: String]
    var body: Data
}
