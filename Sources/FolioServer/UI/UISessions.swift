import Foundation
import FolioSupport
import Synchronization

/// The web UI's sessions: who signed in with which token, and the CSRF token every form carries.
///
/// A browser holds one cookie, `folio_session`, HttpOnly and SameSite=Strict. A signed-in session's id
/// is remembered here (in memory: a restart signs everyone out, and sign-out forgets the id at once);
/// any other cookie value is an anonymous session, which exists only to bind the CSRF token before
/// sign-in and on servers without tokens. The CSRF token is an HMAC of the cookie value under a secret
/// made when the server starts, so it needs no storage and a page from another site can neither read
/// nor compute it.
final class UISessions: Sendable {
    /// Who a signed-in session belongs to.
    struct SignedIn: Sendable, Equatable {
        /// The token's holder: the author of what they restore.
        var name: String
        /// Read-only tokens may look but not restore.
        var readOnly: Bool
        var expires: Date
    }

    static let cookieName = "folio_session"
    /// How long a sign-in lasts.
    static let lifetime: TimeInterval = 12 * 3600
    /// Signed-in sessions kept at most; past it the oldest are signed out.
    static let capacity = 10_000

    private let secret: [UInt8]
    private let signedIn = Mutex<[String: SignedIn]>([:])

    init() {
        var generator = SystemRandomNumberGenerator()
        secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A new random session id (256 bits, hex), for a cookie.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.string((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// True for values this server could have put in the cookie (64 lowercase hex digits).
    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// The CSRF token for the session whose cookie holds `id`.
    func csrfToken(for id: String) throws -> String {
        try Hex.string(Digest.hmacSHA256(key: secret, message: "csrf:" + id))
    }

    /// True when `presented` is the CSRF token of session `id` (compared in constant time).
    func checkCSRF(_ presented: String?, for id: String) throws -> Bool {
        guard let presented else { return false }
        return BearerAuthMiddleware.equalInConstantTime(try csrfToken(for: id), presented)
    }

    /// The signed-in holder of session `id`, if it is one and has not expired.
    func holder(of id: String, now: Date = Date()) -> SignedIn? {
        signedIn.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// Signs `token`'s holder in under a fresh session id (never the one the browser had, so a session id
    /// planted before sign-in is worthless after it) and returns that id.
    func signIn(_ token: APIToken, now: Date = Date()) -> String {
        let id = UISessions.newID()
        signedIn.withLock { sessions in
            if sessions.count >= UISessions.capacity {
                let expired = sessions.filter { $0.value.expires <= now }.map(\.key)
                expired.forEach { sessions[$0] = nil }
                if sessions.count >= UISessions.capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                    sessions[oldest.key] = nil
                }
            }
            sessions[id] = SignedIn(name: token.name, readOnly: token.readOnly, expires: now.addingTimeInterval(UISessions.lifetime))
        }
        return id
    }

    /// Forgets session `id`.
    func signOut(_ id: String) {
        _ = signedIn.withLock { $0.removeValue(forKey: id) }
    }
}
