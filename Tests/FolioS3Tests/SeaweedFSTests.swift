import Foundation
import Testing

@testable import FolioS3

/// FolioS3 against a real S3 server that verifies signatures (SeaweedFS from
/// `scripts/seaweedfs.sh start`), cross-checked with `curl` and the `aws` CLI.
@Suite(.enabled(if: TestEnvironment.runS3Tests, "FOLIO_TEST_S3_* is not set (set FOLIO_REQUIRE_SERVICES=1 to fail instead)"))
struct SeaweedFSTests {
    let settings: S3Settings
    let client: S3Client
    let prefix: String

    init() throws {
        settings = try TestEnvironment.requireS3()
        client = try S3Client(configuration: settings.configuration())
        prefix = uniquePrefix("seaweedfs")
    }

    static let commit = "0123456789abcdef0123456789abcdef01234567"

    static func envelope(_ content: String) -> Data {
        Data(#"{"content": "\#(content)", "metadata": {"prd_name": "Main PRD", "updated_by": "john_doe"}, "type": "prd"}"#.utf8)
    }

    @Test func putThenGetReturnsTheSameBytesMetadataAndType() throws {
        let key = prefix + "proj-1/prd/main_prd.json"
        let body = Self.envelope("first version")
        try client.putObject(key: key, body: body, metadata: ["folio-commit": Self.commit, "Updated-By": "john_doe"])

        let object = try client.getObject(key: key)
        #expect(object.body == body)
        #expect(object.metadata["folio-commit"] == Self.commit)
        #expect(object.metadata["updated-by"] == "john_doe")
        #expect(object.contentType == "application/json")
        #expect(object.contentEncoding == nil)
        let etag = try #require(object.etag)
        #expect(!etag.hasPrefix("\""))

        let head = try #require(try client.headObject(key: key))
        #expect(head.size == body.count)
        #expect(head.etag == etag)
        #expect(head.metadata["folio-commit"] == Self.commit)
        let lastModified = try #require(head.lastModified)
        #expect(abs(lastModified.timeIntervalSinceNow) < 300)
    }

    @Test func puttingAgainReplacesTheObject() throws {
        let key = prefix + "replace.json"
        try client.putObject(key: key, body: Self.envelope("one"), metadata: ["folio-commit": "a"])
        try client.putObject(key: key, body: Self.envelope("two"), metadata: ["folio-commit": "b"])
        let object = try client.getObject(key: key)
        #expect(object.body == Self.envelope("two"))
        #expect(object.metadata["folio-commit"] == "b")
    }

    @Test func emptyBodiesRoundTrip() throws {
        let key = prefix + "empty.json"
        try client.putObject(key: key, body: Data())
        #expect(try client.getObject(key: key).body.isEmpty)
        #expect(try client.headObject(key: key)?.size == 0)
    }

    @Test func missingKeyIsNilForHeadAndNoSuchKeyForGet() throws {
        let key = prefix + "never-written.json"
        #expect(try client.headObject(key: key) == nil)
        let error = try #require(throws: S3Error.self) { try client.getObject(key: key) }
        #expect(error.code == .noSuchKey)
        #expect(error.httpStatus == 404)
        #expect(error.isRetryable == false)
        #expect(error.message.contains(key))
    }

    @Test func deleteRemovesTheObjectAndDeletingAgainSucceeds() throws {
        let key = prefix + "deleted.json"
        try client.putObject(key: key, body: Self.envelope("x"))
        #expect(try client.headObject(key: key) != nil)
        try client.deleteObject(key: key)
        #expect(try client.headObject(key: key) == nil)
        try client.deleteObject(key: key)
    }

    @Test func keysWithSpacesUnicodeAndSymbolsRoundTripAndList() throws {
        let names = ["a b.json", "ünïcødé 文件.json", "plus+sign.json", "tilde~x.json", "percent%20.json", "semi;colon:eq=amp&.json", "quote'paren(1).json"]
        for (index, name) in names.enumerated() {
            try client.putObject(key: prefix + "odd/" + name, body: Data("\(index)".utf8))
        }
        for (index, name) in names.enumerated() {
            #expect(try client.getObject(key: prefix + "odd/" + name).body == Data("\(index)".utf8), "\(name)")
        }
        let listed = try client.listObjects(prefix: prefix + "odd/").keys.map(\.key)
        #expect(listed == names.map { prefix + "odd/" + $0 }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test func listingPagesThroughEveryKeyUnderThePrefixInOrder() throws {
        let keys = (0..<7).map { prefix + "list/doc-\($0).json" }
        for (index, key) in keys.enumerated() {
            try client.putObject(key: key, body: Data(repeating: UInt8(ascii: "x"), count: index + 1))
        }
        try client.putObject(key: prefix + "listing-sibling.json", body: Data("outside".utf8))

        var pages: [S3ListPage] = []
        var token: String?
        repeat {
            let page = try client.listObjects(prefix: prefix + "list/", continuationToken: token, maxKeys: 3)
            pages.append(page)
            token = page.nextContinuationToken
        } while token != nil && pages.count < 10

        #expect(pages.map(\.keys.count) == [3, 3, 1])
        let entries = pages.flatMap(\.keys)
        #expect(entries.map(\.key) == keys)
        #expect(entries.map(\.size) == Array(1...7))
        #expect(entries.allSatisfy { $0.etag != nil && $0.lastModified != nil })
        #expect(pages.last?.nextContinuationToken == nil)
    }

    @Test func listingAnEmptyPrefixGivesAnEmptyLastPage() throws {
        let page = try client.listObjects(prefix: prefix + "nothing-here/")
        #expect(page.keys.isEmpty)
        #expect(page.nextContinuationToken == nil)
    }

    @Test func listingRefusesPageSizesS3DoesNotAllow() {
        for maxKeys in [0, 1001] {
            let error = #expect(throws: S3Error.self) { try client.listObjects(prefix: prefix, maxKeys: maxKeys) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func bodiesAboveTheGzipThresholdAreStoredCompressedAndReadBackDecoded() throws {
        let large = Self.envelope(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 400))
        let small = Self.envelope("short")
        try client.putObject(key: prefix + "large.json", body: large, metadata: ["folio-commit": Self.commit], gzipAbove: 1024)
        try client.putObject(key: prefix + "small.json", body: small, gzipAbove: 1024)

        let largeHead = try #require(try client.headObject(key: prefix + "large.json"))
        #expect(largeHead.contentEncoding == "gzip")
        #expect(largeHead.size < large.count / 4)
        let largeObject = try client.getObject(key: prefix + "large.json")
        #expect(largeObject.body == large)
        #expect(largeObject.contentEncoding == "gzip")
        #expect(largeObject.metadata["folio-commit"] == Self.commit)

        let smallHead = try #require(try client.headObject(key: prefix + "small.json"))
        #expect(smallHead.contentEncoding == nil)
        #expect(smallHead.size == small.count)
        #expect(try client.getObject(key: prefix + "small.json").body == small)
    }

    @Test func presignedURLServesTheObjectToPlainCurl() throws {
        let key = prefix + "shared/a doc+1.json"
        let body = Self.envelope("presigned")
        try client.putObject(key: key, body: body)
        let url = try client.presignedGetURL(key: key, expires: 300)
        let fetched = try TestEnvironment.run(["curl", "-sS", "--fail", url])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout == body)
    }

    @Test func presignedURLOfAGzippedObjectGivesCurlTheOriginalJSON() throws {
        let key = prefix + "shared/compressed.json"
        let body = Self.envelope(String(repeating: "compressible ", count: 1000))
        try client.putObject(key: key, body: body, gzipAbove: 100)
        let url = try client.presignedGetURL(key: key, expires: 300)
        let fetched = try TestEnvironment.run(["curl", "-sS", "--fail", "--compressed", url])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout == body)
        let json = try JSONSerialization.jsonObject(with: fetched.stdout) as? [String: Any]
        #expect(json?["type"] as? String == "prd")
    }

    @Test func presignedURLIsRefusedAfterItExpires() throws {
        let key = prefix + "shared/expiring.json"
        try client.putObject(key: key, body: Self.envelope("soon gone"))
        // Signed a minute ago for one second, so it ran out 59 seconds ago: no need to wait for it.
        let lapsed = try client.presignedGetURL(key: key, expires: 1, now: Date().addingTimeInterval(-60))
        let fetched = try TestEnvironment.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", lapsed])
        #expect(fetched.output == "403")
        // The same object signed now is served, so the 403 above is the expiry and nothing else.
        let current = try client.presignedGetURL(key: key, expires: 300)
        let served = try TestEnvironment.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", current])
        #expect(served.output == "200")
    }

    @Test func presignedURLWithATamperedKeyIsRefused() throws {
        let key = prefix + "shared/original.json"
        try client.putObject(key: key, body: Self.envelope("mine"))
        try client.putObject(key: prefix + "shared/other.json", body: Self.envelope("not yours"))
        let url = try client.presignedGetURL(key: key, expires: 300).replacingOccurrences(of: "original.json", with: "other.json")
        let fetched = try TestEnvironment.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url])
        #expect(fetched.output == "403")
    }

    @Test func wrongSecretIsRefusedAsSignatureMismatchWithoutRetrying() throws {
        let forged = try S3Client(configuration: settings.configuration(secretKey: settings.secretKey + "-wrong"))
        let started = Date()
        let putError = try #require(throws: S3Error.self) {
            try forged.putObject(key: prefix + "forged.json", body: Data("{}".utf8))
        }
        #expect(putError.code == .signatureDoesNotMatch)
        #expect(putError.s3Code == "SignatureDoesNotMatch")
        #expect(putError.httpStatus == 403)
        #expect(putError.isRetryable == false)
        #expect(!putError.message.contains("attempts"))
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(try client.headObject(key: prefix + "forged.json") == nil)

        let bucketError = try #require(throws: S3Error.self) { try forged.headBucket() }
        #expect(bucketError.code == .signatureDoesNotMatch)
    }

    @Test func unknownAccessKeyIsRefusedAsInvalidAccessKeyId() throws {
        var configuration = settings.configuration()
        configuration.accessKeyID = "not-a-known-key"
        let stranger = try S3Client(configuration: configuration, retry: .none)
        let error = try #require(throws: S3Error.self) { try stranger.getObject(key: prefix + "x.json") }
        #expect(error.code == .invalidAccessKeyId)
        #expect(error.isRetryable == false)
    }

    @Test func unreachableEndpointIsARetryableTransportErrorNamingTheAddress() throws {
        let port = try closedLoopbackPort()
        let endpoint = "http://127.0.0.1:\(port)"
        let once = try S3Client(configuration: settings.configuration(endpoint: endpoint), retry: .none)
        let error = try #require(throws: S3Error.self) { try once.headBucket() }
        #expect(error.code == .transport)
        #expect(error.isRetryable)
        #expect(error.httpStatus == nil)
        #expect(error.message.contains("127.0.0.1:\(port)"))

        let retrying = try S3Client(
            configuration: settings.configuration(endpoint: endpoint), retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02))
        let retried = try #require(throws: S3Error.self) { try retrying.getObject(key: "k") }
        #expect(retried.code == .transport)
        #expect(retried.message.contains("after 3 attempts"))
    }

    @Test func missingBucketIsNoSuchBucket() throws {
        let missing = try S3Client(configuration: settings.configuration(bucket: "folio-missing-\(UUID().uuidString.prefix(8).lowercased())"))
        let headError = try #require(throws: S3Error.self) { try missing.headBucket() }
        #expect(headError.code == .noSuchBucket)
        #expect(headError.httpStatus == 404)
        #expect(headError.isRetryable == false)
        let getError = try #require(throws: S3Error.self) { try missing.getObject(key: "k.json") }
        #expect(getError.code == .noSuchBucket)
        #expect(getError.s3Code == "NoSuchBucket")
    }

    @Test func existingBucketPassesHeadBucket() throws {
        try client.headBucket()
        // The bucket it vouched for is usable with these credentials: an object put there lists.
        let key = prefix + "head-bucket/probe.json"
        try client.putObject(key: key, body: Self.envelope("bucket is there"))
        #expect(try client.listObjects(prefix: prefix + "head-bucket/").keys.map(\.key) == [key])
        // And the answer depends on the bucket: the same server and credentials, another bucket name, fail.
        let elsewhere = try S3Client(
            configuration: settings.configuration(bucket: "folio-missing-\(UUID().uuidString.prefix(8).lowercased())"), retry: .none)
        let error = try #require(throws: S3Error.self) { try elsewhere.headBucket() }
        #expect(error.code == .noSuchBucket)
    }

    @Test func awsCLIReadsAnObjectPutByTheClient() throws {
        let key = prefix + "cli/main prd.json"
        let body = Self.envelope("read by aws")
        try client.putObject(key: key, body: body, metadata: ["folio-commit": Self.commit])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("folio-s3-cli-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }

        let result = try TestEnvironment.run(
            ["aws", "--endpoint-url", settings.endpoint, "s3api", "get-object", "--bucket", settings.bucket, "--key", key, output.path],
            environment: settings.awsEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: output) == body)
        let reply = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        #expect((reply?["Metadata"] as? [String: String])?["folio-commit"] == Self.commit)
        #expect(reply?["ContentType"] as? String == "application/json")
    }

    @Test func oneClientServesManyThreadsAtOnce() throws {
        let client = self.client
        let prefix = self.prefix + "concurrent/"
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            do {
                let key = prefix + "doc-\(index).json"
                let body = Self.envelope("thread \(index)")
                try client.putObject(key: key, body: body, metadata: ["folio-commit": String(index)])
                let object = try client.getObject(key: key)
                if object.body != body || object.metadata["folio-commit"] != String(index) {
                    failures.add("\(key) read back different bytes or metadata")
                }
            } catch {
                failures.add("\(index): \(error)")
            }
        }
        #expect(failures.all.isEmpty)
        #expect(try client.listObjects(prefix: prefix).keys.count == 16)
    }
}

/// A loopback port nothing listens on: bound once to get a free number, then released.
func closedLoopbackPort() throws -> Int {
    let result = try TestEnvironment.run([
        "python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()",
    ])
    return try #require(Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func add(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
}
