import FolioTestSupport
import Foundation
import Testing

/// Slow, idle and surplus clients against the real `folio serve`.
@Suite struct ConnectionLimitTests {
    let folder = TemporaryDirectory("connections")

    @Test func aClientTricklingItsHeadersIsCutOffAfterTheHeaderTimeout() async throws {
        let server = try ServeProcess(["--port", "0"], environment: ["FOLIO_HEADER_TIMEOUT": "1"], directory: folder.path)
        let (_, port) = try await server.listening()
        let slow = try RawHTTPConnection(port: port)
        try slow.write(Data("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        let started = ContinuousClock.now
        // A header byte every 100 ms for up to 20 s: never a complete head. The server must close the
        // socket; a write then fails (`closed` is the check). The time bound only says the cut came before
        // the trickle's 20 s ran out; a parallel suite on two cores was seen to take 12 s for the 1 s cut.
        var closed = false
        for _ in 0..<200 {
            do { try slow.write(Data("X".utf8)) } catch { closed = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let reply = slow.readAll(timeout: 5)
        #expect(closed, "the server closed the trickling connection")
        #expect(reply.isEmpty, "without answering: \(reply)")
        #expect(ContinuousClock.now - started < .seconds(19))
        // The server itself is fine.
        let health = try RawHTTPConnection(port: port)
        try health.write(Data("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(health.readAll().hasPrefix("HTTP/1.1 200"))
    }

    @Test func pastTheConnectionCapOnlyHealthProbesAreAnswered() async throws {
        let server = try ServeProcess(["--port", "0"], environment: ["FOLIO_MAX_CONNECTIONS": "4"], directory: folder.path)
        let (_, port) = try await server.listening()
        var idle: [RawHTTPConnection]? = try (0..<4).map { _ in try RawHTTPConnection(port: port) }
        func get(_ path: String) throws -> String {
            let connection = try RawHTTPConnection(port: port)
            try connection.write(Data("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
            return connection.readAll(timeout: 10)
        }
        // The idle ones are accepted in the background: wait until the cap is visibly reached.
        let capped = try await eventually { try get("/api/projects/p1/files/").hasPrefix("HTTP/1.1 503") }
        #expect(capped, "a fifth connection is refused while four are open")
        #expect(try get("/healthz").hasPrefix("HTTP/1.1 200"), "health probes are answered over the cap")
        #expect(try get("/readyz").hasPrefix("HTTP/1.1 200"))
        #expect(idle?.count == 4)
        idle = nil  // closes them
        let answered = try await eventually { try get("/api/projects/p1/files/").hasPrefix("HTTP/1.1 200") }
        #expect(answered, "below the cap again, every request is answered")
    }
}
