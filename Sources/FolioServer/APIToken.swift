import FolioStore
import Foundation

/// A bearer token the API accepts, from `FOLIO_API_TOKENS` (`name:token[:ro],...`).
public struct APIToken: Sendable, Equatable {
    /// Who holds the token; deletes made with it default to this name as the author.
    public var name: String
    /// The secret a client sends as `Authorization: Bearer <token>`.
    public var token: String
    /// True for `:ro` tokens, which may read but not change documents.
    public var readOnly: Bool

    /// Creates a token.
    public init(name: String, token: String, readOnly: Bool = false) {
        self.name = name
        self.token = token
        self.readOnly = readOnly
    }

    /// Parses `name:token[:ro],...`; blank entries are skipped. Error messages name the entry by its
    /// position and holder, never by its secret, so they are safe to log.
    public static func parseList(_ text: String, variable: String = "FOLIO_API_TOKENS") throws -> [APIToken] {
        var tokens: [APIToken] = []
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
        for (index, rawEntry) in entries.enumerated() {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let position = "entry \(index + 1)"
            guard parts.count == 2 || parts.count == 3 else {
                throw StoreError.invalid(variable, "\(variable) \(position) is not name:token or name:token:ro")
            }
            let name = parts[0], token = parts[1]
            guard !name.isEmpty, name.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
                throw StoreError.invalid(variable, "\(variable) \(position) has an empty name or one with spaces; use name:token[:ro]")
            }
            guard !token.isEmpty else {
                throw StoreError.invalid(variable, "\(variable) \(position) ('\(name)') has an empty token")
            }
            var readOnly = false
            if parts.count == 3 {
                switch parts[2] {
                case "ro": readOnly = true
                case "rw": readOnly = false
                default:
                    throw StoreError.invalid(variable, "\(variable) \(position) ('\(name)') ends in '\(parts[2].prefix(10))'; the only flags are 'ro' (read-only) and 'rw'")
                }
            }
            guard !tokens.contains(where: { $0.token == token }) else {
                throw StoreError.invalid(variable, "\(variable) \(position) ('\(name)') repeats a token given earlier; every token must be different")
            }
            tokens.append(APIToken(name: name, token: token, readOnly: readOnly))
        }
        return tokens
    }
}
