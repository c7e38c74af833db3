@testable import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// How replies are written (numbers as Python writes them, `nosniff`) and how failures reach clients
/// (5xx without internal text, files in git that are not envelopes as 422).
@Suite struct ReplyFormatAndErrorTests {
    /// `script` run by python3 with `input` on stdin; its stdout.
    func python(_ script: String, input: String) throws -> String {
        let result = try runCommand("/usr/bin/env", ["python3", "-c", "import json,sys\n" + script], input: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    static let saveBody = #"""
        {"name": "numbers", "content": "# Numbers\n", "updated_by": "alice",
         "metadata": {"big": 123456789012345678901234567890, "neg": -123456789012345678901234567890, "one": 1.0, "tenth": 0.1,
                      "huge": 1e300, "tiny": 5e-324, "e16": 1e16, "mixed": 123456789.123, "minus_zero": -0.0,
                      "nested": [1.0, {"x": 98765432109876543210, "y": [2.0, 1.5e-07]}], "prd_id": 7, "updated_by": "alice"}}
        """#

    @Test func metadataNumbersComeBackOverHTTPByteForByteAsPythonWritesThem() async throws {
        let fixture = try ServerFixture()
        // What Python writes for the metadata as sent: compact in replies, the envelope's layout in git.
        let compactMetadata = try python(
            "sys.stdout.write(json.dumps(json.load(sys.stdin)['metadata'], sort_keys=True, ensure_ascii=False, separators=(',', ':')))",
            input: Self.saveBody)
        let envelope = try python(
            "d = json.load(sys.stdin)\nsys.stdout.write(json.dumps({'content': d['content'], 'metadata': d['metadata'], 'type': 'prd'}, sort_keys=True, ensure_ascii=False))",
            input: Self.saveBody)
        #expect(compactMetadata.contains("\"big\":123456789012345678901234567890,") && compactMetadata.contains("\"one\":1.0,"))

        let commit = try await fixture.withServer { client in
            let saved = try await client.send(.post, "/api/projects/p1/prd/", raw: Self.saveBody)
            #expect(saved.status == .created, "\(saved.text)")
            for attempt in ["first load", "from the reply cache"] {
                let loaded = try await client.send(.get, "/api/projects/p1/prd/?name=numbers")
                #expect(loaded.status == .ok)
                #expect(loaded.text.contains("\"metadata\":" + compactMetadata + ","), "\(attempt): \(loaded.text)")
                // The whole reply is what Python writes for it: nothing else was reformatted either.
                let rewritten = try python(
                    "sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True, ensure_ascii=False, separators=(',', ':')))", input: loaded.text)
                #expect(loaded.text == rewritten, "\(attempt)")
            }
            let revision = try await client.send(.get, "/api/projects/p1/prd/revisions/\(saved.commit)?name=numbers")
            #expect(revision.text.contains("\"metadata\":" + compactMetadata + ","), "\(revision.text)")
            return saved.commit
        }

        // git and the mirror hold Python's bytes for the same envelope.
        let stored = try git("-C", fixture.storeConfiguration.repositoryPath, "show", "\(commit):p1/prd/numbers.json")
        #expect(stored == envelope)
        fixture.store.flushMirror(includeBackingOff: true)
        #expect(FileManager.default.contents(atPath: fixture.mirrorPath("p1/prd/numbers.json")) == Data(envelope.utf8))

        // After a restart (nothing cached) the reply is the same, and a diff shows the numbers exactly.
        try fixture.reopen()
        try await fixture.withServer { client in
            let loaded = try await client.send(.get, "/api/projects/p1/prd/?name=numbers")
            #expect(loaded.text.contains("\"metadata\":" + compactMetadata + ","), "\(loaded.text)")
            let next = try await client.send(.post, "/api/projects/p1/prd/", raw: Self.saveBody.replacingOccurrences(
                of: #""big": 123456789012345678901234567890,"#, with: #""big": 123456789012345678901234567891,"#))
            #expect(next.status == .ok)
            let diff = try await client.send(.get, "/api/projects/p1/prd/diff/?name=numbers&from=\(commit)&format=json")
            #expect(diff.text.contains(#""metadata_changes":[{"from":123456789012345678901234567890,"key":"big","to":123456789012345678901234567891}]"#), "\(diff.text)")
        }
    }

    @Test func diffRepliesAndEveryOtherReplyCarryNosniff() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "<html><script>alert(1)</script>\n").commit
            _ = try await client.save("main_prd", "<html><script>alert(2)</script>\n")
            for format in ["unified", "json"] {
                for mode in ["line", "word"] {
                    let diff = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(first)&format=\(format)&mode=\(mode)")
                    #expect(diff.status == .ok, "\(diff.text)")
                    #expect(diff.headers[.xContentTypeOptions] == "nosniff", "\(format) \(mode)")
                    #expect(diff.headers[values: .xContentTypeOptions].count == 1)
                }
            }
            let unified = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(first)")
            #expect(unified.headers[.contentType] == "text/x-diff; charset=utf-8")
            // The header comes from the one place every reply is built, so errors and loads have it too.
            #expect(try await client.send(.get, "/api/projects/p1/prd/").headers[.xContentTypeOptions] == "nosniff")
            #expect(try await client.send(.get, "/api/projects/p1/prd/?name=missing").headers[.xContentTypeOptions] == "nosniff")
            #expect(try await client.send(.get, "/api/projects/p1/prd/diff/?from=nothex").headers[.xContentTypeOptions] == "nosniff")
        }
    }

    /// Log entries, kept for the test to read.
    final class LogRecorder: Sendable {
        struct Entry: Sendable { var level: Logger.Level; var message: String; var metadata: [String: String] }
        let entries = Mutex<[Entry]>([])

        var logger: Logger {
            var logger = Logger(label: "recorder") { _ in Handler(recorder: self) }
            logger.logLevel = .info
            return logger
        }

        struct Handler: LogHandler {
            let recorder: LogRecorder
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
                let merged = metadata.merging(extra ?? [:]) { $1 }.mapValues { "\($0)" }
                recorder.entries.withLock { $0.append(Entry(level: level, message: "\(message)", metadata: merged)) }
            }
        }
    }

    struct SecretError: Error, CustomStringConvertible {
        var description: String { "open(/srv/folio/data/catalog.sqlite): permission denied" }
    }

    @Test func serverFailuresReachTheClientAsAGenericMessageWithAnIncidentLoggedInFull() async throws {
        let recorder = LogRecorder()
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.get("store-internal") { _, _ -> String in
            throw StoreError(.internal, "cannot read /srv/folio/data/folio.git/objects/pack/pack-1.pack", cause: SecretError())
        }
        router.get("store-unavailable") { _, _ -> String in
            throw StoreError(.unavailable, "the catalog at /srv/folio/data/catalog.sqlite is locked")
        }
        router.get("unknown-error") { _, _ -> String in throw SecretError() }
        router.get("http-error") { _, _ -> String in throw HTTPError(.badGateway, message: "upstream /srv/folio/s3.conf refused") }
        router.get("api-error") { _, _ -> String in
            var error = APIError(.serviceUnavailable, code: "unavailable", "S3 at /srv/folio/s3 is down")
            error.headers[.retryAfter] = "5"
            throw error
        }
        router.get("bad-input") { _, _ -> String in throw StoreError.invalid("name", "name 'a/b' may not contain '/'") }
        router.get("conflict") { _, _ -> String in throw StoreError(.conflict, "p1/prd/x.json changed since abc1234") }

        let app = Application(router: router, logger: recorder.logger)
        try await app.test(.router) { client in
            var incidents: [String] = []
            for (path, status, code) in [
                ("/store-internal", HTTPResponse.Status.internalServerError, "internal"), ("/store-unavailable", .serviceUnavailable, "unavailable"),
                ("/unknown-error", .internalServerError, "internal"), ("/http-error", .badGateway, "internal"), ("/api-error", .serviceUnavailable, "unavailable"),
            ] {
                let reply = try await client.execute(uri: path, method: .get)
                #expect(reply.status == status, "\(path)")
                #expect(!reply.text.contains("/srv") && !reply.text.contains("sqlite") && !reply.text.contains("permission"), "\(path): \(reply.text)")
                #expect(reply.errorCode == code, "\(path)")
                let incident = try #require(reply.error["incident"] as? String, "\(path): \(reply.text)")
                #expect(incident.count == 12 && incident.allSatisfy(\.isHexDigit))
                #expect((reply.error["message"] as? String)?.contains("incident \(incident)") == true)
                #expect(reply.error["field"] == nil && reply.error["current"] == nil)
                incidents.append(incident)
                // The log has what the client was not shown, under the same id.
                let logged = recorder.entries.withLock { $0 }.first { $0.metadata["incident"] == incident }
                #expect(logged?.level == .error && logged?.metadata["status"] == String(status.code))
                #expect(logged?.metadata["error"]?.contains("/srv/folio") == true, "\(String(describing: logged))")
                #expect(logged?.metadata["path"] == path)
            }
            #expect(Set(incidents).count == incidents.count, "each failure has its own incident")
            let cause = recorder.entries.withLock { $0 }.first { $0.metadata["incident"] == incidents[0] }?.metadata["error"]
            #expect(cause?.contains("caused by: open(/srv/folio/data/catalog.sqlite): permission denied") == true, "the store error's cause is logged")
            #expect(try await client.execute(uri: "/api-error", method: .get).headers[.retryAfter] == "5", "headers of a 5xx stay")

            // 4xx messages are the client's to read, unchanged and without an incident.
            let bad = try await client.execute(uri: "/bad-input", method: .get)
            #expect(bad.status == .badRequest && bad.error["message"] as? String == "name 'a/b' may not contain '/'" && bad.errorField == "name")
            #expect(bad.error["incident"] == nil)
            let conflict = try await client.execute(uri: "/conflict", method: .get)
            #expect(conflict.status == .conflict && conflict.error["message"] as? String == "p1/prd/x.json changed since abc1234")
            let loggedForClientErrors = recorder.entries.withLock { $0 }.filter { ["/bad-input", "/conflict"].contains($0.metadata["path"]) && $0.level >= .error }
            #expect(loggedForClientErrors.isEmpty, "only server failures are logged as errors")
        }
    }

    struct GitFailed: Error, CustomStringConvertible { var description: String }

    /// Commits `files` (path → bytes) on top of `main` with the git command, as someone working around
    /// Folio would; returns the new commit.
    func commitAroundFolio(_ repository: String, _ files: [String: String], folder: TemporaryDirectory) throws -> String {
        let environment = [
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_INDEX_FILE": folder.child("around.index"),
            "GIT_AUTHOR_NAME": "mallory", "GIT_AUTHOR_EMAIL": "m@example.com", "GIT_COMMITTER_NAME": "mallory", "GIT_COMMITTER_EMAIL": "m@example.com",
        ]
        func run(_ arguments: [String], input: String? = nil) throws -> String {
            let result = try runCommand("/usr/bin/env", ["git", "-C", repository] + arguments, input: input.map { Data($0.utf8) }, environment: environment)
            guard result.status == 0 else { throw GitFailed(description: "git \(arguments) failed: \(result.stderr)") }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tip = try run(["rev-parse", "main"])
        _ = try run(["read-tree", "main"])
        for (path, text) in files {
            let blob = try run(["hash-object", "-w", "--stdin"], input: text)
            _ = try run(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"])
        }
        let tree = try run(["write-tree"])
        let commit = try run(["commit-tree", tree, "-p", tip, "-m", "edited around Folio"])
        _ = try run(["update-ref", "refs/heads/main", commit, tip])
        return commit
    }

    @Test func aFileInGitThatIsNotAnEnvelopeIsA422NamingIt() async throws {
        let fixture = try ServerFixture()
        let good = try await fixture.withServer { client in try await client.save("main_prd", "good\n").commit }
        let scratch = TemporaryDirectory("around")
        let bad = try commitAroundFolio(fixture.storeConfiguration.repositoryPath, [
            "p1/prd/wrong_kind.json": #"{"content": 5}"#,
            "p1/prd/not_json.json": "this is not JSON {",
            "p1/prd/bad_metadata.json": #"{"content": "x", "metadata": [1], "type": "prd"}"#,
            "p1/prd/main_prd.json": "[1, 2]",
        ], folder: scratch)
        try fixture.reopen()
        // The mirror publishes what git holds; once it has, neither source can serve these files.
        fixture.store.flushMirror(includeBackingOff: true)
        try await fixture.withServer { client in
            for (name, problem) in [("wrong_kind", "\"content\" is a number"), ("not_json", "not JSON"), ("bad_metadata", "\"metadata\" is an array"), ("main_prd", "an array")] {
                let key = "p1/prd/\(name).json"
                for uri in ["/api/projects/p1/prd/?name=\(name)", "/api/projects/p1/prd/revisions/\(bad)?name=\(name)"] {
                    let reply = try await client.send(.get, uri)
                    #expect(reply.status == .unprocessableContent, "\(uri): \(reply.text)")
                    #expect(reply.errorCode == "invalid_document", "\(uri)")
                    let message = reply.error["message"] as? String ?? ""
                    #expect(message.hasPrefix(key + " is not a valid Folio document") && message.contains(problem), "\(uri): \(message)")
                    #expect(reply.error["incident"] == nil && !reply.text.contains(fixture.folder.path))
                }
            }
            let diff = try await client.send(.get, "/api/projects/p1/prd/diff/?from=\(good)&to=\(bad)")
            #expect(diff.status == .unprocessableContent && diff.errorCode == "invalid_document", "\(diff.text)")
            #expect((diff.error["message"] as? String)?.hasPrefix("p1/prd/main_prd.json is not a valid Folio document") == true, "\(diff.text)")
            // The good version is still there to read and to restore.
            let old = try await client.send(.get, "/api/projects/p1/prd/revisions/\(good)")
            #expect(old.status == .ok && old.object["content"] as? String == "good\n")
            let restored = try await client.send(.post, "/api/projects/p1/prd/restore/", json: ["commit": good, "updated_by": "alice"])
            #expect(restored.status == .ok, "\(restored.text)")
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["content"] as? String == "good\n")
        }
    }

    @Test func anInvalidCurrentVersionIsA422EvenWithoutAMirrorCopy() async throws {
        let fixture = try ServerFixture { $0.mirrorKind = .none }
        _ = try await fixture.withServer { client in try await client.save("main_prd", "good\n").commit }
        _ = try commitAroundFolio(fixture.storeConfiguration.repositoryPath, ["p1/prd/wrong_kind.json": #"{"content": 5}"#], folder: TemporaryDirectory("around"))
        try fixture.reopen()
        try await fixture.withServer { client in
            let reply = try await client.send(.get, "/api/projects/p1/prd/?name=wrong_kind")
            // git answered, with bytes that are not a document: 422 naming the file, not a 503 or a mirror copy.
            #expect(reply.status == .unprocessableContent && reply.errorCode == "invalid_document", "\(reply.status) \(reply.text)")
            #expect((reply.error["message"] as? String)?.contains("p1/prd/wrong_kind.json") == true)
        }
    }
}
