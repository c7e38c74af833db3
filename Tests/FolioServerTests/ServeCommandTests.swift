import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A running `folio serve` process, its output collected as it arrives.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = "", err = ""

    init(_ arguments: [String], environment: [String: String], directory: String) throws {
        process.executableURL = URL(fileURLWithPath: folioExecutable)
        process.arguments = ["serve"] + arguments
        process.environment = ServeProcess.environment(environment)
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in self?.append(handle, toError: false) }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in self?.append(handle, toError: true) }
        try process.run()
    }

    /// The inherited environment with every Folio setting cleared, then `overrides`, so the defaults apply.
    static func environment(_ overrides: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FOLIO_") && $0.key != "MEDIA_ROOT" && $0.key != "FILE_STORAGE_TYPE" }
        for (name, value) in overrides { environment[name] = value }
        return environment
    }

    private func append(_ handle: FileHandle, toError: Bool) {
        let data = handle.availableData
        if data.isEmpty { handle.readabilityHandler = nil; return }
        lock.withLock {
            if toError { err += String(decoding: data, as: UTF8.self) } else { out += String(decoding: data, as: UTF8.self) }
        }
    }

    var stdout: String { lock.withLock { out } }
    var stderr: String { lock.withLock { err } }

    /// Waits for the start line and returns it with the port it names.
    func listening(timeout: Duration = .seconds(60)) async throws -> (line: String, port: Int) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first, let range = line.range(of: #":(\d+) \("#, options: .regularExpression) {
                let digits = line[range].dropFirst().prefix { $0.isNumber }
                return (String(line), Int(digits)!)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServeFailure(description: "folio serve did not start: stdout \(stdout) stderr \(stderr)")
    }

    /// Waits for the process to end (killing it after `timeout`) and returns its exit status.
    func exitStatus(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw ServeFailure(description: "folio serve did not stop; stderr \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(process.terminationReason == .exit, "it exited rather than being killed by the signal")
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// `folio serve` did not start or stop when it should have.
struct ServeFailure: Error, CustomStringConvertible {
    var description: String
}

/// The real `folio serve` binary: defaults, start-up refusals and graceful shutdown.
@Suite struct ServeCommandTests {
    let folder = TemporaryDirectory("serve")

    func request(_ port: Int, _ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil, headers: HTTPFields = [:]) async throws -> TestClient.Response {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        }
        return try await TestClient.withClient(host: "127.0.0.1", port: port) { [headers, body] client in
            try await client.execute(TestClient.Request(uri, method: method, authority: "127.0.0.1:\(port)", headers: headers, body: body))
        }
    }

    func object(_ response: TestClient.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data((response.body ?? ByteBuffer()).readableBytesView))) as? [String: Any] ?? [:]
    }

    @Test func serveStartsWithTheEmbeddedDefaultsAndFinishesTheSaveInFlightOnSIGTERM() async throws {
        let server = try ServeProcess(["--port", "0"], environment: [:], directory: folder.path)
        let (line, port) = try await server.listening()
        #expect(line == "folio: listening on http://127.0.0.1:\(port) (no FOLIO_API_TOKENS: bound to loopback only)")

        let saved = try await request(port, .post, "/api/projects/p1/prd/", json: ["content": "# PRD\n", "updated_by": "john_doe", "metadata": ["prd_id": 1]])
        #expect(saved.status == .created)
        let loaded = try await request(port, .get, "/api/projects/p1/prd/")
        #expect(object(loaded)["content"] as? String == "# PRD\n" && object(loaded)["source"] as? String == "git")
        for path in ["data/folio.git/HEAD", "data/folio.sqlite", "data/presign.secret"] {
            #expect(FileManager.default.fileExists(atPath: folder.child(path)), "\(path) is where the defaults say")
        }
        // The mirror worker runs in the background; give it a moment.
        let mirrored = folder.child("data/media/projects/p1/prd/main_prd.json")
        for _ in 0..<250 where !FileManager.default.fileExists(atPath: mirrored) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(FileManager.default.fileExists(atPath: mirrored))

        // A save whose body is still arriving when SIGTERM comes: the server must finish it, then exit 0.
        let slow = try RawHTTPConnection(port: port)
        let body = Data(#"{"name": "in_flight", "updated_by": "slow_client", "content": "sent in two halves"}"#.utf8)
        let head = "POST /api/projects/p1/prd/ HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try slow.write(Data(head.utf8) + body.prefix(20))
        try await Task.sleep(for: .milliseconds(300))

        // Meanwhile several clients start large saves.
        let content = String(repeating: "a line of a long document\n", count: 40_000)
        let racing = (0..<4).map { writer in
            Task { () -> String? in
                let response = try? await request(port, .post, "/api/projects/p1/prd/", json: ["name": "big\(writer)", "content": content + "\(writer)", "updated_by": "w\(writer)"])
                guard let response else { return nil }  // refused at the door once shutdown began
                #expect(response.status == .created, "a save either completes or is never started")
                return object(response)["commit"] as? String
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        kill(server.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.process.isRunning, "the server waits for the save in flight")
        try slow.write(body.dropFirst(20))
        let reply = slow.readAll()
        #expect(reply.hasPrefix("HTTP/1.1 201"), "the save in flight was answered: \(reply)")
        let inFlightCommit = try #require(reply.split(separator: "\r\n\r\n").last.flatMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }?["commit"] as? String)
        var acknowledged = [inFlightCommit]
        for task in racing { if let commit = await task.value { acknowledged.append(commit) } }
        #expect(try await server.exitStatus() == 0, "stderr: \(server.stderr)")

        let onBranch = Set(try git("-C", folder.child("data/folio.git"), "rev-list", "main").split(separator: "\n").map(String.init))
        #expect(Set(acknowledged).isSubset(of: onBranch), "every acknowledged save is durable in git")
        #expect(onBranch.contains(try #require(object(saved)["commit"] as? String)))
        try git("-C", folder.child("data/folio.git"), "fsck", "--strict")
    }

    @Test func serveWithTokensRequiresThemAndMayBindEverywhere() async throws {
        let server = try ServeProcess(["--host", "0.0.0.0", "--port", "0"], environment: ["FOLIO_API_TOKENS": "app:t0ken,viewer:v1ew:ro"], directory: folder.path)
        let (line, port) = try await server.listening()
        #expect(line == "folio: listening on http://0.0.0.0:\(port) (bearer tokens required: 2 configured)")
        #expect(try await request(port, .get, "/api/projects/p1/prd/").status == .unauthorized)
        let saved = try await request(port, .post, "/api/projects/p1/prd/", json: ["content": "x", "updated_by": "a"], headers: [.authorization: "Bearer t0ken"])
        #expect(saved.status == .created)
        let viewer = try await request(port, .post, "/api/projects/p1/prd/", json: ["content": "y", "updated_by": "a"], headers: [.authorization: "Bearer v1ew"])
        #expect(viewer.status == .forbidden)
        kill(server.process.processIdentifier, SIGINT)
        #expect(try await server.exitStatus() == 0)
    }

    @Test func serveRefusesToBindBeyondLoopbackWithoutTokens() throws {
        let result = try runCommand(folioExecutable, ["serve", "--host", "0.0.0.0", "--port", "0"], environment: ServeProcess.environment([:]), directory: folder.path)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("folio: refusing to listen on 0.0.0.0 without FOLIO_API_TOKENS") == true, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.child("data")), "nothing was created")
    }

    @Test func serveExitsWithOneLineWhenThePortIsTaken() async throws {
        let first = try ServeProcess(["--port", "0"], environment: [:], directory: folder.path)
        let (_, port) = try await first.listening()
        let other = TemporaryDirectory("serve-other")
        let result = try runCommand(folioExecutable, ["serve", "--port", String(port)], environment: ServeProcess.environment([:]), directory: other.path)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("folio: cannot serve on 127.0.0.1:\(port):") == true, "\(result.stderr)")
        kill(first.process.processIdentifier, SIGTERM)
        #expect(try await first.exitStatus() == 0)
    }
}
