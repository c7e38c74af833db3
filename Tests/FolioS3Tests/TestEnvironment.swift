import FolioSupport
import Foundation
import Testing

@testable import FolioS3

/// What the tests may rely on from the machine: the SeaweedFS server started by
/// `scripts/seaweedfs.sh`, python3 with botocore, the `aws` and `curl` commands.
///
/// With `FOLIO_REQUIRE_SERVICES=1` a missing service fails the tests that need it instead of
/// skipping them, so CI cannot pass by silently testing less.
enum TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    static var servicesRequired: Bool {
        environment["FOLIO_REQUIRE_SERVICES"] == "1"
    }

    /// The S3 server from `FOLIO_TEST_S3_*`, or nil when those are not set.
    static let s3: S3Settings? = {
        guard let endpoint = environment["FOLIO_TEST_S3_ENDPOINT"], !endpoint.isEmpty,
            let accessKey = environment["FOLIO_TEST_S3_ACCESS_KEY"],
            let secretKey = environment["FOLIO_TEST_S3_SECRET_KEY"],
            let bucket = environment["FOLIO_TEST_S3_BUCKET"]
        else { return nil }
        return S3Settings(
            endpoint: endpoint, accessKey: accessKey, secretKey: secretKey, bucket: bucket,
            region: environment["FOLIO_TEST_S3_REGION"] ?? "us-east-1")
    }()

    /// Run the S3 tests when the server is configured, or when it must be (they then fail).
    static var runS3Tests: Bool { s3 != nil || servicesRequired }

    static let botocoreAvailable: Bool = {
        (try? run(["python3", "-c", "import botocore"]))?.status == 0
    }()

    static var runBotocoreTests: Bool { botocoreAvailable || servicesRequired }

    static let pythonAvailable: Bool = {
        (try? run(["python3", "-c", "pass"]))?.status == 0
    }()

    static var runPythonTests: Bool { pythonAvailable || servicesRequired }

    /// The configured S3 server, or a recorded failure explaining how to start one.
    static func requireS3(sourceLocation: SourceLocation = #_sourceLocation) throws -> S3Settings {
        try #require(
            s3, "FOLIO_TEST_S3_* is not set: run `scripts/seaweedfs.sh start` and source the env file it prints",
            sourceLocation: sourceLocation)
    }

    /// A directory next to this file, for the fixture script.
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Runs a command found on PATH and collects its output.
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandResult {
        let process = try ChildProcess(executable: "/usr/bin/env", arguments: arguments, environment: environment.merging(extra) { $1 })
        try process.standardInput.close()
        let (output, errors) = process.readOutputsToEnd()
        let termination = try process.waitForExit()
        return CommandResult(status: termination.status, stdout: output, stderr: String(decoding: errors, as: UTF8.self))
    }
}

struct S3Settings: Sendable {
    var endpoint: String
    var accessKey: String
    var secretKey: String
    var bucket: String
    var region: String

    func configuration(bucket: String? = nil, secretKey: String? = nil, endpoint: String? = nil) -> S3Configuration {
        S3Configuration(
            bucket: bucket ?? self.bucket, accessKeyID: accessKey, secretAccessKey: secretKey ?? self.secretKey,
            region: region, endpoint: endpoint ?? self.endpoint, connectTimeout: 5, requestTimeout: 30)
    }

    /// Environment for the `aws` command so it talks to this server and reads no user config.
    var awsEnvironment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": accessKey,
            "AWS_SECRET_ACCESS_KEY": secretKey,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
    }
}

struct CommandResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: String
    var output: String { String(decoding: stdout, as: UTF8.self) }
}

/// The deterministic body a vector describes; the fixture script builds the same bytes.
func patternBytes(size: Int, seed: Int) -> Data {
    var bytes = [UInt8](repeating: 0, count: size)
    for index in 0..<size {
        bytes[index] = UInt8((index * 31 + seed) % 251)
    }
    return Data(bytes)
}

/// A key no other test run uses, so runs against one server never see each other's objects.
func uniquePrefix(_ name: String) -> String {
    "folio-s3-tests/\(name)-\(UUID().uuidString.prefix(8).lowercased())/"
}
