import ArgumentParser
import FolioHooks
import FolioServer
import FolioStore
import FolioSupport
import Foundation
import Hummingbird
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the HTTP API.",
        discussion: """
            Listens on FOLIO_HOST:FOLIO_PORT (default 127.0.0.1:8080). With FOLIO_API_TOKENS (name:token[:ro],...) every /api \
            request needs 'Authorization: Bearer TOKEN'; without tokens the server binds loopback only. SIGTERM or SIGINT \
            stops it after the requests in flight are answered.
            """)
    @OptionGroup var options: StoreOptions
    @Option(help: "The address to listen on (FOLIO_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "The port to listen on (FOLIO_PORT; default 8080; 0 picks a free one).") var port: Int?

    func run() async throws {
        try await runReporting {
            var storeConfiguration = try options.configuration()
            // FOLIO_CACHE_BYTES is the server's one memory budget for caches. Most of it goes to encoded
            // replies, which spare a load both decoding the envelope and encoding the JSON; a quarter
            // to envelopes (replies not encoded yet, revisions, diffs).
            let cacheBudget = storeConfiguration.envelopeCacheBytes
            storeConfiguration.envelopeCacheBytes = cacheBudget / 4
            var server = try ServerConfiguration.fromEnvironment(store: storeConfiguration)
            server.replyCacheBytes = cacheBudget - cacheBudget / 4
            if let host { server.host = host }
            if let port { server.port = port }
            // Refuse unsafe settings before touching the data folder.
            try server.validate()
            var logger = Logger(label: "folio", factory: LineLogHandler.init)
            logger.logLevel = Logger.Level.fromEnvironment(default: .info)
            let store = try DocumentStore.open(storeConfiguration, logger: logger, background: true)
            let installRefusal = installHooks(storeConfiguration, logger: logger)
            let repositoryPath = storeConfiguration.repositoryPath
            server.gitPushRefusal = {
                if let installRefusal { return installRefusal }
                // Someone may have removed or replaced a hook since the start: then pushes wait for a fix.
                return HookInstaller.unguarded(repositoryPath: repositoryPath).map {
                    "pushes over HTTP are off: \($0) (run folio hooks install)"
                }
            }
            // Runs after the server has stopped: saves still queued are written and the mirror drained once.
            defer { store.close() }
            let address = server.host.contains(":") ? "[\(server.host)]" : server.host
            let access = server.requiresAuthentication
                ? "bearer tokens required: \(server.tokens.count) configured"
                : "no FOLIO_API_TOKENS: bound to loopback only"
            let app = buildApplication(configuration: server, store: store, logger: logger) { port in
                // One line on stdout, written at once so a supervisor or script piping it sees it immediately.
                FileHandle.standardOutput.write(Data("folio: listening on http://\(address):\(port) (\(access))\n".utf8))
            }
            do {
                try await app.runService()
            } catch {
                throw StoreError(.unavailable, "cannot serve on \(address):\(server.port): \(error)", cause: error)
            }
        }
    }

    /// Makes sure Folio's hooks guard the repository before pushes over HTTP are let in; returns why
    /// pushes stay refused when that cannot be done.
    private func installHooks(_ configuration: StoreConfiguration, logger: Logger) -> String? {
        do {
            let outcomes = try HookInstaller.install(
                repositoryPath: configuration.repositoryPath, folio: try HookSettings.executable(),
                settings: HookSettings.settings(for: configuration), force: false)
            let written = outcomes.filter { $0.outcome == .written }.map(\.name)
            // Debug, not info: the one stderr line a failed start prints (a taken port) stays the only one.
            if !written.isEmpty { logger.debug("installed Folio's git hooks", metadata: ["hooks": "\(written.joined(separator: ", "))"]) }
            return nil
        } catch {
            logger.error("git push over HTTP is off: the hooks could not be installed", metadata: ["error": "\(error)"])
            return "pushes over HTTP are off: \(error)"
        }
    }
}
