import Foundation
import Testing

@testable import FolioS3

/// One request signed by botocore, as printed by `sigv4_vectors.py`.
struct SigV4Vector: Decodable, Sendable {
    struct Body: Decodable, Sendable {
        var size: Int
        var seed: Int
    }

    struct Request: Decodable, Sendable {
        var method: String
        var endpoint: String?
        var pathStyle: Bool
        var region: String
        var bucket: String
        var key: String?
        var query: [String: String]
        var headers: [String: String]
        var body: Body
        var accessKeyID: String
        var secretAccessKey: String
        var sessionToken: String?
        var date: Int
        var expires: Int?
    }

    struct Expected: Decodable, Sendable {
        var url: String
        var authorization: String
        var amzDate: String
        var contentSHA256: String
        var canonicalRequest: String
        var stringToSign: String
        var presignedURL: String?
    }

    var name: String
    var request: Request
    var expected: Expected

    var date: Date { Date(timeIntervalSince1970: TimeInterval(request.date)) }

    func client() throws -> S3Client {
        try S3Client(
            configuration: S3Configuration(
                bucket: request.bucket, accessKeyID: request.accessKeyID, secretAccessKey: request.secretAccessKey,
                sessionToken: request.sessionToken, region: request.region, endpoint: request.endpoint,
                pathStyle: request.pathStyle),
            retry: .none)
    }

    func s3Request() throws -> S3Request {
        try S3Request(
            method: request.method, operation: "Vector", key: request.key, query: request.query,
            headers: request.headers, body: patternBytes(size: request.body.size, seed: request.body.seed))
    }
}

enum BotocoreVectors {
    /// Generated once per test run by running the fixture script live.
    static let all: Result<[SigV4Vector], any Error> = Result {
        let script = TestEnvironment.testsDirectory.appendingPathComponent("sigv4_vectors.py").path
        let result = try TestEnvironment.run(["python3", script])
        guard result.status == 0 else {
            throw VectorScriptFailed(status: result.status, stderr: result.stderr)
        }
        return try JSONDecoder().decode([SigV4Vector].self, from: result.stdout)
    }

    struct VectorScriptFailed: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String { "sigv4_vectors.py exited with \(status): \(stderr)" }
    }
}

@Suite(.enabled(if: TestEnvironment.runBotocoreTests, "python3 with botocore is not installed (set FOLIO_REQUIRE_SERVICES=1 to fail instead)"))
struct SignerMatchesBotocoreTests {
    let vectors: [SigV4Vector]

    init() throws {
        vectors = try BotocoreVectors.all.get()
    }

    @Test func vectorsCoverMethodsKeysQueriesBodiesAndSessionTokens() {
        #expect(vectors.count >= 300)
        #expect(Set(vectors.map(\.request.method)) == ["GET", "PUT", "HEAD", "DELETE"])
        let keys = vectors.compactMap(\.request.key)
        for fragment in [" ", "ü", "😀", "+", "~", "//", "%", "?", "#", "./"] {
            #expect(keys.contains { $0.contains(fragment) }, "no key containing \(fragment)")
        }
        #expect(vectors.contains { $0.request.query["continuation-token"]?.contains("+") == true })
        #expect(vectors.contains { $0.request.query["list-type"] == "2" && $0.request.key == nil })
        #expect(vectors.contains { $0.request.sessionToken != nil })
        #expect(vectors.contains { $0.request.sessionToken == nil })
        #expect(vectors.contains { $0.request.method == "PUT" && $0.request.body.size == 0 })
        #expect(vectors.contains { $0.request.body.size >= 5 * 1024 * 1024 })
        #expect(vectors.filter { $0.expected.presignedURL != nil }.count >= 30)
    }

    @Test func requestURLsEncodeKeysAndQueriesAsBotocoreDoes() throws {
        for vector in vectors {
            let http = try vector.client().httpRequest(for: vector.s3Request(), date: vector.date)
            #expect(http.url == vector.expected.url, "\(vector.name)")
        }
    }

    @Test func canonicalRequestsMatchBotocore() throws {
        for vector in vectors {
            let client = try vector.client()
            let http = try client.httpRequest(for: vector.s3Request(), date: vector.date)
            var headers = http.headers
            headers["authorization"] = nil
            let canonical = client.signer.canonicalRequest(
                method: vector.request.method, path: client.endpoint.path(key: vector.request.key),
                query: vector.request.query, headers: headers, payloadHash: vector.expected.contentSHA256)
            #expect(canonical.text == vector.expected.canonicalRequest, "\(vector.name)")
            let toSign = try client.signer.stringToSign(canonicalRequest: canonical.text, timestamp: SigV4Timestamp(vector.date))
            #expect(toSign == vector.expected.stringToSign, "\(vector.name)")
        }
    }

    @Test func authorizationHeadersMatchBotocore() throws {
        for vector in vectors {
            let http = try vector.client().httpRequest(for: vector.s3Request(), date: vector.date)
            #expect(http.headers["authorization"] == vector.expected.authorization, "\(vector.name)")
            #expect(http.headers["x-amz-date"] == vector.expected.amzDate, "\(vector.name)")
            #expect(http.headers["x-amz-content-sha256"] == vector.expected.contentSHA256, "\(vector.name)")
            #expect(http.headers["x-amz-security-token"] == vector.request.sessionToken, "\(vector.name)")
        }
    }

    @Test func presignedURLsMatchBotocore() throws {
        let presigned = vectors.filter { $0.expected.presignedURL != nil }
        for vector in presigned {
            let client = try vector.client()
            let expires = try #require(vector.request.expires)
            let key = try #require(vector.request.key)
            let url: String
            if vector.request.query.isEmpty {
                url = try client.presignedGetURL(key: key, expires: expires, now: vector.date)
            } else {
                url = try S3Presigner(signer: client.signer).presignedURL(
                    scheme: client.endpoint.scheme, host: client.endpoint.host, path: client.endpoint.path(key: key),
                    query: vector.request.query, expires: expires, date: vector.date)
            }
            #expect(PresignedURLParts(url) == PresignedURLParts(try #require(vector.expected.presignedURL)), "\(vector.name)")
        }
    }
}

/// A presigned URL reduced to what a server checks: botocore orders the query differently and
/// keeps a default port the signer leaves out, neither of which changes the request.
struct PresignedURLParts: Equatable, CustomStringConvertible {
    var origin: String
    var path: String
    var query: [String]

    init(_ url: String) {
        let (base, query) = url.split(separator: "?", maxSplits: 1).map(String.init).pair
        let schemeEnd = base.range(of: "://")!.upperBound
        let pathStart = base[schemeEnd...].firstIndex(of: "/") ?? base.endIndex
        var origin = String(base[..<pathStart])
        for suffix in [":80", ":443"] where origin.hasSuffix(suffix) {
            origin.removeLast(suffix.count)
        }
        self.origin = origin
        self.path = String(base[pathStart...])
        self.query = (query ?? "").split(separator: "&").map(String.init).sorted()
    }

    var description: String { "\(origin)\(path)?\(query.joined(separator: "&"))" }
}

extension Array where Element == String {
    fileprivate var pair: (String, String?) { (self[0], count > 1 ? self[1] : nil) }
}
