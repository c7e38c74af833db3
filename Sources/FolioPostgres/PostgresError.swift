import Foundation

/// A PostgreSQL failure, split by what the caller can do about it.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached or refused the connection (bad URL, wrong password, down).
        case connect
        /// The connection broke: the statement's outcome is unknown (a COMMIT may or may not have landed).
        case connectionLost
        /// The server ran the statement and refused it; `sqlState` says why (e.g. 23505 unique violation).
        case sql
    }

    /// What kind of failure.
    public var kind: Kind
    /// The server's five-character SQLSTATE, for `.sql`.
    public var sqlState: String?
    /// libpq's or the server's message.
    public var message: String
    /// The libpq call that failed.
    public var function: String

    /// Makes an error; `sqlState` only for errors the server reported.
    public init(kind: Kind, sqlState: String? = nil, message: String, function: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.function = function
    }

    /// One line: the call, the state and the message.
    public var description: String {
        let state = sqlState.map { " [\($0)]" } ?? ""
        return "\(function)\(state): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
    }

    /// True when the statement may be retried on a fresh connection without knowing its outcome is a problem
    /// (reads), i.e. the connection itself failed.
    public var isConnectionFailure: Bool { kind == .connect || kind == .connectionLost }
}
