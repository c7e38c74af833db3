import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A store in a fresh temp folder and the HTTP API over it, run on a real socket.
final class ServerFixture: @unchecked Sendable {
    let folder = TemporaryDirectory("server")
    let storeConfiguration: StoreConfiguration
    private(set) var store: DocumentStore
    var server: ServerConfiguration

    init(tokens: [APIToken] = [], configure: (inout StoreConfiguration) -> Void = { _ in }) throws {
        var configuration = StoreConfiguration.rooted(at: folder.path)
        configure(&configuration)
        storeConfiguration = configuration
        store = try DocumentStore.open(configuration, logger: ServerFixture.logger, background: true)
        server = ServerConfiguration(host: "127.0.0.1", port: 0, tokens: tokens, maxContentBytes: configuration.maxContentBytes)
    }

    deinit { store.close() }

    static var logger: Logger {
        var logger = Logger(label: "folio-test")
        logger.logLevel = .warning
        return logger
    }

    /// Closes and opens the store again, as a restart would.
    func reopen() throws {
        store.close()
        store = try DocumentStore.open(storeConfiguration, logger: ServerFixture.logger, background: true)
    }

    /// Runs `body` against the API served over a real socket (Hummingbird's `.live` test mode).
    func withServer<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(configuration: server, store: store, logger: ServerFixture.logger)
        return try await app.test(.live, body)
    }

    /// The path of a file in the local mirror.
    func mirrorPath(_ key: String) -> String { storeConfiguration.mediaRoot + "/projects/" + key }

    /// The commits on the branch as the `git` command sees them, newest first (none before the first save).
    func gitCommits() throws -> [String] {
        let tip = try runCommand("/usr/bin/env", ["git", "-C", storeConfiguration.repositoryPath, "rev-parse", "--verify", "-q", "main"])
        guard tip.status == 0 else { return [] }
        return try git("-C", storeConfiguration.repositoryPath, "rev-list", "main").split(separator: "\n").map(String.init)
    }
}

extension TestClientProtocol {
    /// Sends a request; `json` is serialised as the body, or `raw` is sent as it is.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil, raw: String? = nil, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        } else if let raw {
            body = ByteBuffer(string: raw)
            headers[.contentType] = "application/json"
        }
        return try await executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    /// Saves `content` as `updatedBy` to the project's PRD `name` (or another type).
    func save(
        _ name: String = "main_prd", _ content: String, by updatedBy: String = "alice", project: String = "p1", type: String = "prd",
        extra: [String: Any] = [:], headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var body: [String: Any] = ["name": name, "content": content, "updated_by": updatedBy]
        for (field, value) in extra { body[field] = value }
        return try await send(.post, "/api/projects/\(project)/\(type)/", json: body, headers: headers)
    }
}

extension TestResponse {
    /// The body as UTF-8 text.
    var text: String { String(decoding: Data(body.readableBytesView), as: UTF8.self) }

    /// The body parsed as a JSON object (empty when it is not one).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The `error` member of an error body.
    var error: [String: Any] { object["error"] as? [String: Any] ?? [:] }

    /// The error's code, e.g. `invalid_input`.
    var errorCode: String? { error["code"] as? String }

    /// The field the error names.
    var errorField: String? { error["field"] as? String }

    /// The commit a save reported.
    var commit: String { object["commit"] as? String ?? "" }
}
