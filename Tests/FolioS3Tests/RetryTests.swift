import FolioSupport
import Foundation
import Testing

@testable import FolioS3

struct RetryPolicyTests {
    @Test func delayCapsDoubleFromTheBaseUpToTheMaximum() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.1, maxDelay: 1)
        #expect(policy.delayCap(afterAttempt: 1) == 0.1)
        #expect(policy.delayCap(afterAttempt: 2) == 0.2)
        #expect(policy.delayCap(afterAttempt: 3) == 0.4)
        #expect(policy.delayCap(afterAttempt: 5) == 1)
        #expect(policy.delayCap(afterAttempt: 500) == 1)
    }

    @Test func delaysAreSpreadOverTheWholeRangeUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.1, maxDelay: 1)
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<2000).map { _ in policy.delay(afterAttempt: 3, using: &generator) }
        #expect(delays.allSatisfy { (0...0.4).contains($0) })
        #expect(delays.contains { $0 < 0.05 })
        #expect(delays.contains { $0 > 0.35 })
    }

    @Test func onlyTransientErrorsAreRetriedAndOnlyWhileAttemptsRemain() {
        let policy = RetryPolicy(maxAttempts: 3)
        let throttled = S3Error(code: .slowDown, message: "", httpStatus: 503, s3Code: "SlowDown")
        let refused = S3Error(code: .signatureDoesNotMatch, message: "", httpStatus: 403, s3Code: "SignatureDoesNotMatch")
        #expect(policy.shouldRetry(throttled, afterAttempt: 1))
        #expect(policy.shouldRetry(throttled, afterAttempt: 2))
        #expect(!policy.shouldRetry(throttled, afterAttempt: 3))
        #expect(!policy.shouldRetry(refused, afterAttempt: 1))
        #expect(!RetryPolicy.none.shouldRetry(throttled, afterAttempt: 1))
        #expect(RetryPolicy.none.maxAttempts == 1)
        #expect(RetryPolicy.default.maxAttempts > 1)
    }
}

/// The client's retry loop against a server that fails on purpose: a small Python HTTP server
/// on loopback whose answers are chosen by the key, and which counts the requests it got and keeps
/// the body of every PUT (`/__body/N/<path>` returns the Nth one's bytes).
@Suite(.enabled(if: TestEnvironment.runPythonTests, "python3 is not installed (set FOLIO_REQUIRE_SERVICES=1 to fail instead)"))
final class RetryBehaviourTests {
    static let serverScript = #"""
        import http.server, os, re, sys, threading
        # Exit when the test closes stdin (or dies), and after two minutes at the latest.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        threading.Timer(120, lambda: os._exit(0)).start()
        counts = {}
        bodies = {}
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def reply(self, status, body, content_type="application/xml"):
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            def handle_any(self):
                if self.command == "PUT":
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.startswith("/__count/"):
                    return self.reply(200, str(counts.get("/" + self.path[len("/__count/"):], 0)), "text/plain")
                recorded = re.fullmatch(r"/__body/(\d+)(/.*)", self.path)
                if recorded:
                    kept = bodies.get(recorded.group(2), [])
                    attempt = int(recorded.group(1))
                    if not 1 <= attempt <= len(kept):
                        return self.reply(404, f"{len(kept)} PUT bodies kept for {recorded.group(2)}", "text/plain")
                    return self.reply(200, kept[attempt - 1], "application/octet-stream")
                counts[self.path] = counts.get(self.path, 0) + 1
                if self.command == "PUT":
                    bodies.setdefault(self.path, []).append(body)
                match = re.search(r"/fail-(\d+)-(\d+)-(\w+)", self.path)
                if match and counts[self.path] <= int(match.group(1)):
                    status, code = int(match.group(2)), match.group(3)
                    return self.reply(status, f"<Error><Code>{code}</Code><Message>injected {code}</Message></Error>")
                self.reply(200, f"ok after {counts[self.path]}", "text/plain")
            do_GET = do_PUT = do_HEAD = do_DELETE = handle_any
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    let server: LoopbackServer
    let endpoint: String

    init() throws {
        server = try LoopbackServer(script: Self.serverScript)
        endpoint = "http://127.0.0.1:\(server.port)"
    }

    func client(_ retry: RetryPolicy) throws -> S3Client {
        try S3Client(
            configuration: S3Configuration(bucket: "b", accessKeyID: "AK", secretAccessKey: "SK", endpoint: endpoint, requestTimeout: 10),
            retry: retry)
    }

    func requests(for key: String) throws -> Int {
        let result = try TestEnvironment.run(["curl", "-sS", "\(endpoint)/__count/b/\(key)"])
        return try #require(Int(result.output))
    }

    /// The body the server received with the `attempt`th PUT of `key` (1 is the first), byte for byte.
    func uploadedBody(for key: String, attempt: Int) throws -> Data {
        let result = try TestEnvironment.run(["curl", "-sS", "--fail", "\(endpoint)/__body/\(attempt)/b/\(key)"])
        try #require(result.status == 0, "no body kept for PUT \(attempt) of \(key): \(result.stderr)")
        return result.stdout
    }

    let quickRetries = RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05)

    @Test func throttlingIsRetriedUntilTheServerRecovers() throws {
        let object = try client(quickRetries).getObject(key: "fail-2-503-SlowDown.json")
        #expect(String(decoding: object.body, as: UTF8.self) == "ok after 3")
        #expect(try requests(for: "fail-2-503-SlowDown.json") == 3)
    }

    @Test func uploadsAreResentWholeOnRetry() throws {
        // Random bytes, so a resend that starts at the wrong offset or reorders anything cannot match.
        var generator = SystemRandomNumberGenerator()
        let payload = Data((0..<100_000).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        let key = "fail-1-500-InternalError.json"
        try client(quickRetries).putObject(key: key, body: payload)
        #expect(try requests(for: key) == 2)
        let first = try uploadedBody(for: key, attempt: 1)
        let resent = try uploadedBody(for: key, attempt: 2)
        #expect(first == payload, "the failed attempt carried the whole body (\(first.count) of \(payload.count) bytes)")
        #expect(resent == payload, "the retry resent the whole body byte for byte (\(resent.count) of \(payload.count) bytes)")
    }

    @Test func persistentServerErrorsGiveUpAfterMaxAttempts() throws {
        let error = try #require(throws: S3Error.self) { try client(quickRetries).getObject(key: "fail-99-500-InternalError.json") }
        #expect(error.code == .serverError)
        #expect(error.isRetryable)
        #expect(error.message.contains("after 4 attempts"))
        #expect(try requests(for: "fail-99-500-InternalError.json") == 4)
    }

    @Test func refusalsAreReportedAfterOneRequest() throws {
        let error = try #require(throws: S3Error.self) { try client(quickRetries).getObject(key: "fail-99-403-AccessDenied.json") }
        #expect(error.code == .accessDenied)
        #expect(error.s3Code == "AccessDenied")
        #expect(error.message.contains("injected AccessDenied"))
        #expect(try requests(for: "fail-99-403-AccessDenied.json") == 1)
    }

    @Test func noRetryPolicyStopsAtTheFirstFailure() throws {
        let error = try #require(throws: S3Error.self) { try client(.none).getObject(key: "fail-1-503-SlowDown.json") }
        #expect(error.code == .slowDown)
        #expect(try requests(for: "fail-1-503-SlowDown.json") == 1)
    }

    @Test func slowServersTimeOutAsRetryableTimeouts() throws {
        // A listening socket that never answers: the kernel accepts, nobody reads.
        let silent = try LoopbackServer(script: """
            import socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
            print(s.getsockname()[1], flush=True)
            sys.stdin.read()
            """)
        let port = silent.port
        let client = try S3Client(
            configuration: S3Configuration(bucket: "b", accessKeyID: "AK", secretAccessKey: "SK", endpoint: "http://127.0.0.1:\(port)", requestTimeout: 0.5),
            retry: .none)
        let started = Date()
        let error = try #require(throws: S3Error.self) { try client.getObject(key: "k") }
        #expect(error.code == .timeout)
        #expect(error.isRetryable)
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

/// A Python script serving on a loopback port it prints first; it exits when this object goes
/// away and closes the script's stdin, so no server outlives its test even if the test fails.
final class LoopbackServer {
    private let process: ChildProcess
    let port: Int

    init(script: String) throws {
        process = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script], environment: ProcessInfo.processInfo.environment)
        process.discardStandardError()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = process.standardOutput.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            try? process.standardInput.close()
            _ = try? process.waitForExit()
            throw S3Error(code: .invalidResponse, message: "test server did not print its port")
        }
        self.port = port
    }

    deinit {
        try? process.standardInput.close()
        _ = try? process.waitForExit()
    }
}
