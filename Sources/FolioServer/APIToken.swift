import FolioStore
import Foundation

/// A bearer token the API accepts, from `FOLIO_API_TOKENS` (`name:token[:ro|:rw][:person],...`).
public struct APIToken: Sendable, Equatable {
    /// Who holds the token; deletes made with it default to this name as the author.
    public var name: String
    /// The secret a client sends as `Authorization: Bearer <token>`.
    public var token: String
    /// True for `:ro` tokens, which may read but not change documents.
    public var readOnly: Bool
    /// True for `:person` tokens, held by one person: their saves are authored by the token's name,
    /// whatever `updated_by` says. (Every commit records the token's name either way.)
    public var person: Bool

    /// Creates a token.
    public init(name: String, token: String, readOnly: Bool = false, person: Bool = false) {
        self.name = name
        self.token = token
        self.readOnly = readOnly
        self.person = person
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
            guard (2...4).contains(parts.count) else {
                throw StoreError.invalid(variable, "\(variable) \(position) is not name:token[:ro|:rw][:person]")
            }
            let name = parts[0], token = parts[1]
            guard !name.isEmpty, name.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
                throw StoreError.invalid(variable, "\(variable) \(position) has an empty name or one with spaces; use name:token[:ro]")
            }
            guard !token.isEmpty else {
                throw StoreError.invalid(variable, "\(variable) \(position) ('\(name)') has an empty token")
            }
            var readOnly = false
            var person = false
            for flag in parts.dropFirst(2) {
                switch flag {
                case "ro": readOnly = true
                case "rw": readOnly = false
                case "person": person = true
                default:
                    throw StoreError.invalid(
                        variable, "\(variable) \(position) ('\(name)') has the flag '\(flag.prefix(10))'; the flags are 'ro' (read-only), 'rw' and 'person'")
                }
            }
            guard !tokens.contains(where: { $0.token == token }) else {
                throw StoreError.invalid(variable, "\(variable) \(position) ('\(name)') repeats a token given earlier; every token must be different")
            }
            tokens.append(APIToken(name: name, token: token, readOnly: readOnly, person: person))
        }
        return tokens
    }
}

extension APIToken {
    /// The token among `tokens` whose secret is `presented`. Every token is compared, in constant time,
    /// so timing does not reveal which one a guess came close to.
    static func matching(_ presented: String, in tokens: [APIToken]) -> APIToken? {
        var match: APIToken?
        for token in tokens where BearerAuthMiddleware.equalInConstantTime(token.token, presented) {
            match = token
        }
        return match
    }

    /// The token in an `Authorization: Bearer TOKEN` header (the scheme in any case), nil for another
    /// scheme or none.
    static func bearer(in header: String) -> String? {
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}
