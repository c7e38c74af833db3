import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Testing
import FolioSupport

/// The S3 mirror against a real SeaweedFS that checks signatures (started by scripts/test.sh).
@Suite(.enabled(if: S3Service.shouldRun)) struct S3MirrorTests {
    /// A store mirroring to the test server under a prefix of its own, so tests do not see each other.
    func s3Store(secret: String? = nil, endpoint: String? = nil, timeout: Double = 10) throws -> (StoreFixture, String) {
        let service = try S3Service.require()
        let prefix = "projects-\(UUID().uuidString.prefix(8))"
        let fixture = try StoreFixture { configuration in
            configuration.mirrorKind = .s3
            configuration.s3.bucket = service.bucket
            configuration.s3.accessKeyID = service.accessKey
            configuration.s3.secretAccessKey = secret ?? service.secretKey
            configuration.s3.region = service.region
            configuration.s3.endpoint = endpoint ?? service.endpoint
            configuration.s3.prefix = prefix
            configuration.s3.requestTimeout = timeout
            // These tests check S3's own presigned URLs.
            configuration.presignDirectS3 = true
        }
        return (fixture, prefix)
    }

    /// `aws s3api` against the test server; returns stdout.
    func aws(_ arguments: [String]) throws -> CommandResult {
        let service = try S3Service.require()
        return try runCommand("/usr/bin/env", ["aws", "--endpoint-url", service.endpoint, "s3api"] + arguments, environment: [
            "AWS_ACCESS_KEY_ID": service.accessKey, "AWS_SECRET_ACCESS_KEY": service.secretKey,
            "AWS_DEFAULT_REGION": service.region, "AWS_EC2_METADATA_DISABLED": "true",
        ])
    }

    @Test func savesLandWhereTheOldSystemKeptThemAndDeletesRemoveThem() async throws {
        let (fixture, prefix) = try s3Store()
        let service = try S3Service.require()
        let key = try fixture.key()
        let saved = try await fixture.store.save(key, content: "# PRD in S3\n", metadata: ["prd_id": .int(3)], updatedBy: "Zoë")
        #expect(fixture.store.flushMirror().failed == 0)

        let folder = TemporaryDirectory("aws")
        let get = try aws(["get-object", "--bucket", service.bucket, "--key", "\(prefix)/\(key.path)", folder.child("out.json")])
        #expect(get.status == 0, "\(get.stderr)")
        let downloaded = try String(contentsOfFile: folder.child("out.json"), encoding: .utf8)
        #expect(downloaded == (try git("-C", fixture.repoPath, "show", "main:\(key.path)")), "the object is the committed envelope")
        let head = try JSONSerialization.jsonObject(with: Data(get.stdout.utf8)) as? [String: Any]
        let metadata = head?["Metadata"] as? [String: String]
        #expect(metadata?["folio-commit"] == saved.commit.hex)
        #expect(metadata?["folio-author"] == "Zo%C3%AB", "non-ASCII authors are percent-encoded in headers")
        #expect(try fixture.store.readiness().allSatisfy(\.ok))

        _ = try await fixture.store.delete(key, by: "ann")
        #expect(fixture.store.flushMirror().failed == 0)
        #expect(try aws(["head-object", "--bucket", service.bucket, "--key", "\(prefix)/\(key.path)"]).status != 0, "deleted from the bucket")
    }

    @Test func largeEnvelopesAreStoredGzippedAndEveryReaderGetsTheBytes() async throws {
        let (fixture, prefix) = try s3Store()
        let service = try S3Service.require()
        let key = try fixture.key()
        let content = (0..<4000).map { "line \($0) of a long implementation plan\n" }.joined()
        _ = try await fixture.store.save(key, content: content, updatedBy: "ann")
        #expect(fixture.store.flushMirror().failed == 0)
        let committed = try git("-C", fixture.repoPath, "show", "main:\(key.path)")

        let head = try aws(["head-object", "--bucket", service.bucket, "--key", "\(prefix)/\(key.path)"])
        #expect(head.stdout.contains("\"ContentEncoding\": \"gzip\""))
        // A plain download through a presigned URL, as any other reader would do it.
        let url = try fixture.store.presignedURL(for: key, expires: 60)
        #expect(url.url.hasPrefix(service.endpoint) && url.url.contains("X-Amz-Signature="))
        let curl = try runCommand("/usr/bin/env", ["curl", "-sf", "--compressed", url.url])
        #expect(curl.status == 0 && curl.stdout == committed)

        // Folio's own fallback reads it back when git cannot serve the file.
        let packs = fixture.repoPath + "/objects/pack"
        for file in try FileManager.default.contentsOfDirectory(atPath: packs) { try FileManager.default.removeItem(atPath: packs + "/" + file) }
        try fixture.reopen()
        let loaded = try fixture.store.load(key)
        #expect(loaded.source == .mirror && loaded.content == content)
    }

    @Test func presignedURLsStopWorkingAfterTheyExpire() async throws {
        let (fixture, _) = try s3Store()
        let key = try fixture.key()
        _ = try await fixture.store.save(key, content: "short lived", updatedBy: "ann")
        fixture.store.flushMirror()
        let url = try fixture.store.presignedURL(for: key, expires: 60)
        #expect(try runCommand("/usr/bin/env", ["curl", "-sf", url.url]).status == 0)
        // Signed a minute and more in the past with a one-second lifetime: expired, without waiting for it.
        let expired = try fixture.store.presignedURL(for: key, expires: 1, now: Date().addingTimeInterval(-90))
        let late = try runCommand("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", expired.url])
        #expect(late.stdout == "403")
        #expect(throws: StoreError.self) { try fixture.store.presignedURL(for: key, expires: 604_801) }
    }

    @Test func aWrongSecretIsReportedAsAMirrorErrorWhileSavesSucceed() async throws {
        let (fixture, _) = try s3Store(secret: "not-the-secret")
        let key = try fixture.key()
        let saved = try await fixture.store.save(key, content: "still saved", updatedBy: "ann")
        #expect(saved.changed)
        #expect(try fixture.store.load(key).content == "still saved")
        #expect(fixture.store.flushMirror().failed == 1)
        let pending = try fixture.store.mirrorOutbox()
        #expect(pending.count == 1 && pending.first?.lastError?.contains("SignatureDoesNotMatch") == true, "\(pending)")
        let mirror = fixture.store.readiness().first { $0.name == "mirror" }
        #expect(mirror?.ok == false)
    }

    @Test func aMissingBucketOrCredentialsGiveClearErrorsNotACrash() async throws {
        let service = try S3Service.require()
        let fixture = try StoreFixture { configuration in
            configuration.mirrorKind = .s3
            configuration.s3.bucket = "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())"
            configuration.s3.accessKeyID = service.accessKey
            configuration.s3.secretAccessKey = service.secretKey
            configuration.s3.endpoint = service.endpoint
        }
        _ = try await fixture.store.save(try fixture.key(), content: "x", updatedBy: "ann")
        let health = fixture.store.readiness().first { $0.name == "mirror" }
        #expect(health?.ok == false && health?.error?.contains("bucket does not exist") == true, "\(String(describing: health))")

        let noCredentials = try StoreFixture { $0.mirrorKind = .s3; $0.s3.bucket = "b" }
        let reason = noCredentials.store.readiness().first { $0.name == "mirror" }?.error
        #expect(reason?.contains("AWS_ACCESS_KEY_ID") == true)
        _ = try await noCredentials.store.save(try noCredentials.key(), content: "kept in git", updatedBy: "ann")
        #expect(try noCredentials.store.mirrorOutbox().count == 1)
    }

    @Test func aServerThatGoesAwayAndComesBackConvergesWithNothingLost() async throws {
        let service = try S3Service.require()
        let target = URL(string: service.endpoint)!
        let proxy = try TCPProxy(targetHost: target.host ?? "127.0.0.1", targetPort: target.port ?? 80)
        try proxy.start()
        let (fixture, prefix) = try s3Store(endpoint: "http://127.0.0.1:\(proxy.port)", timeout: 3)
        let key = try fixture.key(), other = try fixture.key("p1", .implementation, "implementation_plan")
        _ = try await fixture.store.save(key, content: "v0", updatedBy: "ann")
        #expect(fixture.store.flushMirror().failed == 0)

        proxy.stop()  // the server is gone
        var last: ObjectID?
        for index in 1...10 { last = try await fixture.store.save(key, content: "v\(index)", updatedBy: "ann").commit }
        _ = try await fixture.store.save(other, content: "plan", updatedBy: "bo")
        #expect(fixture.store.flushMirror().failed == 2, "both files wait in the outbox")
        #expect(try fixture.store.mirrorOutbox().map(\.commit).contains(last), "only the tip is queued")

        try proxy.start()  // and back
        #expect(fixture.store.flushMirror(includeBackingOff: true).failed == 0)
        #expect(try fixture.store.mirrorOutbox().isEmpty)
        let head = try aws(["head-object", "--bucket", service.bucket, "--key", "\(prefix)/\(key.path)"])
        #expect(head.stdout.contains(try #require(last).hex), "the object is the last save")
        let report = try fixture.store.verifyMirror(repair: false)
        #expect(report.checked == 2 && report.missing == 0 && report.stale == 0 && report.orphans == 0)
    }

    @Test func verifyRepairsDriftAndRemovesOrphans() async throws {
        let (fixture, prefix) = try s3Store()
        let service = try S3Service.require()
        let a = try fixture.key("p1", .prd, "a"), b = try fixture.key("p1", .prd, "b")
        _ = try await fixture.store.save(a, content: "a", updatedBy: "ann")
        _ = try await fixture.store.save(b, content: "b", updatedBy: "ann")
        fixture.store.flushMirror()
        // Drift: one object removed behind Folio's back, one stray object added.
        #expect(try aws(["delete-object", "--bucket", service.bucket, "--key", "\(prefix)/\(a.path)"]).status == 0)
        let folder = TemporaryDirectory("stray")
        try "{}".write(toFile: folder.child("stray"), atomically: true, encoding: .utf8)
        #expect(try aws(["put-object", "--bucket", service.bucket, "--key", "\(prefix)/p1/prd/stray.json", "--body", folder.child("stray")]).status == 0)

        let found = try fixture.store.verifyMirror(repair: true)
        #expect(found.checked == 2 && found.missing == 1 && found.orphans == 1 && found.failed == 0)
        let clean = try fixture.store.verifyMirror(repair: false)
        #expect(clean.missing == 0 && clean.stale == 0 && clean.orphans == 0)
    }
}

/// The SeaweedFS server from `FOLIO_TEST_S3_*`; with `FOLIO_REQUIRE_SERVICES=1` its absence fails.
struct S3Service: Sendable {
    var endpoint: String, accessKey: String, secretKey: String, bucket: String, region: String

    static let configured: S3Service? = {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["FOLIO_TEST_S3_ENDPOINT"], !endpoint.isEmpty, let accessKey = env["FOLIO_TEST_S3_ACCESS_KEY"],
              let secretKey = env["FOLIO_TEST_S3_SECRET_KEY"], let bucket = env["FOLIO_TEST_S3_BUCKET"] else { return nil }
        return S3Service(endpoint: endpoint, accessKey: accessKey, secretKey: secretKey, bucket: bucket, region: env["FOLIO_TEST_S3_REGION"] ?? "us-east-1")
    }()

    static var shouldRun: Bool { configured != nil || ProcessInfo.processInfo.environment["FOLIO_REQUIRE_SERVICES"] == "1" }

    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> S3Service {
        try #require(configured, "FOLIO_TEST_S3_* is not set: run scripts/seaweedfs.sh start and source its env file", sourceLocation: sourceLocation)
    }
}
