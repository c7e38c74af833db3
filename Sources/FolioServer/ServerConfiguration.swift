import FolioStore
import Foundation

/// How the HTTP server listens and whom it lets in: `FOLIO_HOST`, `FOLIO_PORT`, `FOLIO_API_TOKENS`,
/// `FOLIO_PUBLIC_URL`, and the body limit that follows from `FOLIO_MAX_CONTENT_BYTES`.
public struct ServerConfiguration: Sendable {
    /// The address to bind (`FOLIO_HOST`, default 127.0.0.1).
    public var host: String
    /// The port (`FOLIO_PORT`, default 8080; 0 lets the system pick a free one).
    public var port: Int
    /// Accepted bearer tokens; empty means no authentication, which is only allowed on loopback.
    public var tokens: [APIToken]
    /// The most content bytes one save may carry (`FOLIO_MAX_CONTENT_BYTES`); larger requests get 413.
    public var maxContentBytes: Int
    /// The most content bytes one batch save may carry in all its files (`FOLIO_MAX_BATCH_BYTES`, from the
    /// store's configuration); larger batches get 413.
    public var maxBatchContentBytes = 32 * 1024 * 1024
    /// The externally visible base URL (`FOLIO_PUBLIC_URL`, e.g. `https://folio.example.com`) used to
    /// make presigned local URLs absolute; without it the request's Host header is used.
    public var publicURL: String?
    /// Bytes of encoded document replies kept in memory (0 turns the cache off). `folio serve` gives it
    /// most of `FOLIO_CACHE_BYTES`; see `ServeCommand`.
    public var replyCacheBytes = 8 * 1024 * 1024
    /// Host headers (`host` or `host:port`, lowercase) that may make presigned URLs absolute when
    /// `FOLIO_PUBLIC_URL` is not set (`FOLIO_ALLOWED_HOSTS`, comma-separated).
    public var allowedHosts: Set<String> = []
    /// Seconds a client has to send a request's head (`FOLIO_HEADER_TIMEOUT`, default 10).
    public var headerTimeoutSeconds = 10
    /// Seconds a connection may sit with nothing read or written (`FOLIO_IDLE_TIMEOUT`, default 60).
    public var idleTimeoutSeconds = 60
    /// Open connections past which only health probes are answered (`FOLIO_MAX_CONNECTIONS`; default
    /// 1024, and never more than the file-descriptor limit allows).
    public var maxConnections = 1024
    /// Asked before every `git push` over HTTP (`/git/folio.git`): why it is refused, nil when it is
    /// allowed. Pushes are safe only through Folio's hooks, so by default they are refused; `folio
    /// serve` installs the hooks and then checks, per push, that they are still the ones it installed.
    public var gitPushRefusal: @Sendable () -> String? = {
        "pushes over HTTP are off: Folio's hooks are not installed in the repository (run folio hooks install)"
    }

    /// Creates a configuration; the defaults bind loopback without authentication.
    public init(host: String = "127.0.0.1", port: Int = 8080, tokens: [APIToken] = [], maxContentBytes: Int = 10 * 1024 * 1024, publicURL: String? = nil) {
        self.host = host
        self.port = port
        self.tokens = tokens
        self.maxContentBytes = maxContentBytes
        self.publicURL = publicURL
    }

    /// Reads the `FOLIO_*` server variables; the content limit comes from the store's configuration so
    /// the server and the store refuse the same saves.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment, store: StoreConfiguration) throws -> ServerConfiguration {
        var configuration = ServerConfiguration(maxContentBytes: store.maxContentBytes)
        configuration.maxBatchContentBytes = store.maxBatchContentBytes
        if let host = environment["FOLIO_HOST"], !host.isEmpty { configuration.host = host }
        if let text = environment["FOLIO_PORT"], !text.isEmpty {
            guard let port = Int(text) else {
                throw StoreError.invalid("FOLIO_PORT", "FOLIO_PORT=\(text.prefix(20)) is not a port number; use 0 to 65535")
            }
            configuration.port = port
        }
        configuration.tokens = try APIToken.parseList(environment["FOLIO_API_TOKENS"] ?? "")
        func positive(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw StoreError.invalid(name, "\(name)=\(text.prefix(20)) is out of range; use \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        configuration.headerTimeoutSeconds = try positive("FOLIO_HEADER_TIMEOUT", 1...3600) ?? configuration.headerTimeoutSeconds
        configuration.idleTimeoutSeconds = try positive("FOLIO_IDLE_TIMEOUT", 1...86_400) ?? configuration.idleTimeoutSeconds
        configuration.allowedHosts = Set((environment["FOLIO_ALLOWED_HOSTS"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }.filter { !$0.isEmpty })
        configuration.maxConnections = try positive("FOLIO_MAX_CONNECTIONS", 1...1_000_000) ?? configuration.maxConnections
        if let url = environment["FOLIO_PUBLIC_URL"], !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw StoreError.invalid("FOLIO_PUBLIC_URL", "FOLIO_PUBLIC_URL=\(url.prefix(60)) must start with http:// or https://")
            }
            configuration.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        return configuration
    }

    /// True when the server checks bearer tokens.
    public var requiresAuthentication: Bool { !tokens.isEmpty }

    /// True when `host` is reachable from this machine only.
    public var bindsLoopbackOnly: Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name == "[::1]" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Refuses settings that would be unsafe or cannot work: without tokens anyone who can reach the
    /// port could read and change every document, so only loopback may go without them.
    public func validate() throws {
        guard (0...65_535).contains(port) else {
            throw StoreError.invalid("FOLIO_PORT", "port \(port) is out of range; use 0 to 65535")
        }
        guard requiresAuthentication || bindsLoopbackOnly else {
            throw StoreError.invalid(
                "FOLIO_HOST",
                "refusing to listen on \(host) without FOLIO_API_TOKENS: anyone who can reach it could read and change documents; set FOLIO_API_TOKENS=name:token[:ro],... or bind to 127.0.0.1")
        }
    }

    /// The most request-body bytes read for one save. JSON escaping can double text (every newline and
    /// quote becomes two bytes), so the body may be twice the content limit plus room for metadata;
    /// the store then checks the decoded content against the exact limit.
    var maxBodyBytes: Int { maxContentBytes.multipliedReportingOverflow(by: 2).partialValue + 64 * 1024 }

    /// The most request-body bytes read for one batch save: twice the batch's content limit (escaping, as
    /// for a single save) plus 4 MiB that the files' names, metadata and the JSON around them share — a
    /// separate limit, since a batch legitimately carries far more than one save, and one that a server
    /// with a small content limit keeps small.
    var maxBatchBodyBytes: Int { maxBatchContentBytes.multipliedReportingOverflow(by: 2).partialValue + 4 * 1024 * 1024 }
}
