import FolioSupport
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A running `folio serve` process, its output collected as it arrives.
final class ServeProcess: @unchecked Sendable {
    let process: ChildProcess
    private let lock = NSLock()
    private var out = "", err = ""

    init(_ arguments: [String], environment: [String: String], directory: String) throws {
        process = try ChildProcess(
            executable: folioExecutable, arguments: ["serve"] + arguments, environment: ServeProcess.environment(environment), directory: directory)
        try process.standardInput.close()
        process.standardOutput.readabilityHandler = { [weak self] handle in self?.append(handle, toError: false) }
        process.standardError.readabilityHandler = { [weak self] handle in self?.append(handle, toError: true) }
    }

    /// The inherited environment with every Folio setting cleared, then `overrides`, so the defaults apply.
    /// One exception: the header timeout is a minute unless a test sets it. The whole suite runs in
    /// parallel on two cores, and a test client starved for more than the default 10 s between connecting
    /// and sending its request had the connection cut (`I/O on closed channel`) in tests about other
    /// things; ConnectionLimitTests sets its own timeout to test that one.
    static func environment(_ overrides: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FOLIO_") && $0.key != "MEDIA_ROOT" && $0.key != "FILE_STORAGE_TYPE" }
        environment["FOLIO_HEADER_TIMEOUT"] = "60"
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

    /// The start line and the port it names, once stdout has it.
    var startLine: (line: String, port: Int)? {
        guard let line = stdout.split(separator: "\n").first, let range = line.range(of: #":(\d+) \("#, options: .regularExpression) else {
            return nil
        }
        let digits = line[range].dropFirst().prefix { $0.isNumber }
        return (String(line), Int(digits)!)
    }

    /// Waits for the start line and returns it with the port it names.
    func listening(timeout: Duration = .seconds(60)) async throws -> (line: String, port: Int) {
        var started: (line: String, port: Int)?
        _ = try await eventually(timeout: timeout) {
            started = startLine
            return started != nil || process.hasEnded
        }
        guard let started else {
            throw ServeFailure(description: "folio serve did not start within \(timeout): stdout \(stdout) stderr \(stderr)")
        }
        return started
    }

    /// Waits for the process to end (killing it after `timeout`) and returns its exit status.
    func exitStatus(timeout: Duration = .seconds(60)) async throws -> Int32 {
        guard try await eventually(timeout: timeout, { process.hasEnded }) else {
            process.send(SIGKILL)
            throw ServeFailure(description: "folio serve did not stop within \(timeout); stderr \(stderr)")
        }
        let termination = try process.waitForExit()
        guard case .exited(let status) = termination else {
            Issue.record("it exited rather than being killed by the signal: \(termination)")
            return termination.status
        }
        return status
    }

    deinit {
        process.send(SIGKILL)
        _ = try? process.waitForExit()
    }
}

/// `folio serve` did not start or stop when it should have.
struct ServeFailure: Error, CustomStringConvertible {
    var description: String
}

/// A TCP socket on 127.0.0.1:`port` as Linux lists it in /proc/net/tcp: its state (listening `0A`,
/// established `01`, ...) and how many received bytes wait in it unread by the process. It lets the
/// tests below wait for what the server has actually done rather than for a fixed time.
struct LoopbackSocket {
    var state: String
    var unread: Int

    var isListening: Bool { state == "0A" }
    var isEstablished: Bool { state == "01" }

    /// The sockets whose local address is 127.0.0.1:`port`: the server's listening socket and its
    /// end of each connection (a client's end has the port as its remote address, so it is not here).
    static func all(port: Int) throws -> [LoopbackSocket] {
        // Read to the end: /proc files report a size of 0, which whole-file readers may trust.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/net/tcp"))
        defer { try? handle.close() }
        let table = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var hexPort = String(port, radix: 16, uppercase: true)
        hexPort = String(repeating: "0", count: max(0, 4 - hexPort.count)) + hexPort
        // The address is in host byte order: 0100007F on little-endian machines, 7F000001 on big-endian ones.
        let local: Set<String> = ["0100007F:" + hexPort, "7F000001:" + hexPort]
        return table.split(separator: "\n").dropFirst().compactMap { row -> LoopbackSocket? in
            // sl local_address rem_address st tx_queue:rx_queue ...
            let fields = row.split(separator: " ")
            guard fields.count > 4, local.contains(String(fields[1])) else { return nil }
            let queues = fields[4].split(separator: ":")
            guard queues.count == 2, let unread = Int(queues[1], radix: 16) else { return nil }
            return LoopbackSocket(state: String(fields[3]), unread: unread)
        }
    }
}

/// How many of several concurrent tasks have finished, for a poll to read.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
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
        // The mirror worker runs in the background.
        let mirrored = folder.child("data/media/projects/p1/prd/main_prd.json")
        let wasMirrored = try await eventually { FileManager.default.fileExists(atPath: mirrored) }
        #expect(wasMirrored, "the mirror worker did not write \(mirrored) within 10 s")

        // A save whose body is still arriving when SIGTERM comes: the server must finish it, then exit 0.
        let slow = try RawHTTPConnection(port: port)
        let body = Data(#"{"name": "in_flight", "updated_by": "slow_client", "content": "sent in two halves"}"#.utf8)
        let head = "POST /api/projects/p1/prd/ HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try slow.write(Data(head.utf8) + body.prefix(20))
        // The save is in flight once the server has read the head: its end of every connection is drained.
        let headRead = try await eventually {
            let open = try LoopbackSocket.all(port: port).filter(\.isEstablished)
            return !open.isEmpty && open.allSatisfy { $0.unread == 0 }
        }
        try #require(headRead, "folio serve did not read the slow request's head within 10 s; stderr: \(server.stderr)")

        // Meanwhile several clients start large saves.
        let content = String(repeating: "a line of a long document\n", count: 40_000)
        let answered = Tally()
        let racing = (0..<4).map { writer in
            Task { () -> String? in
                let response = try? await request(port, .post, "/api/projects/p1/prd/", json: ["name": "big\(writer)", "content": content + "\(writer)", "updated_by": "w\(writer)"])
                answered.add()
                guard let response else { return nil }  // refused at the door once shutdown began
                #expect(response.status == .created, "a save either completes or is never started")
                return object(response)["commit"] as? String
            }
        }
        // SIGTERM once a large save has reached the server (a second connection is open) or already finished.
        let racerArrived = try await eventually {
            try LoopbackSocket.all(port: port).filter(\.isEstablished).count >= 2 || answered.value > 0
        }
        try #require(racerArrived, "none of the large saves reached folio serve within 10 s")
        server.process.send(SIGTERM)
        // Shutdown has begun once the server closes its listening socket and new connections are refused.
        let stoppedListening = try await eventually { try !LoopbackSocket.all(port: port).contains(where: \.isListening) }
        try #require(stoppedListening, "folio serve still accepts connections 10 s after SIGTERM; stderr: \(server.stderr)")
        #expect(!server.process.hasEnded, "the server waits for the save in flight")
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
        server.process.send(SIGINT)
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
        first.process.send(SIGTERM)
        #expect(try await first.exitStatus() == 0)
    }
}
