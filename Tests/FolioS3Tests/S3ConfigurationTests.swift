import Foundation
import Testing

@testable import FolioS3

struct S3ConfigurationTests {
    func client(_ endpoint: String?, bucket: String = "docs", pathStyle: Bool? = nil, region: String = "eu-west-1") throws -> S3Client {
        try S3Client(configuration: S3Configuration(
            bucket: bucket, accessKeyID: "AK", secretAccessKey: "SK", region: region, endpoint: endpoint, pathStyle: pathStyle))
    }

    @Test func awsUsesVirtualHostedStyleInTheConfiguredRegion() throws {
        let aws = try client(nil)
        #expect(aws.configuration.pathStyle == false)
        #expect(aws.endpoint.host == "docs.s3.eu-west-1.amazonaws.com")
        #expect(aws.endpoint.url(path: aws.endpoint.path(key: "p/a b.json"), canonicalQuery: "") == "https://docs.s3.eu-west-1.amazonaws.com/p/a%20b.json")
        #expect(try aws.presignedGetURL(key: "k", expires: 60).hasPrefix("https://docs.s3.eu-west-1.amazonaws.com/k?"))
    }

    @Test func bucketsWithDotsStayInThePathOnAWSSoTLSStillVerifies() throws {
        let dotted = try client(nil, bucket: "docs.example.com")
        #expect(dotted.endpoint.host == "s3.eu-west-1.amazonaws.com")
        #expect(dotted.endpoint.path(key: "k") == "/docs.example.com/k")
    }

    @Test func anEndpointDefaultsToPathStyleAndKeepsItsPortAndBasePath() throws {
        let local = try client("HTTP://LocalHost:8333/s3/")
        #expect(local.configuration.pathStyle)
        #expect(local.endpoint.host == "localhost:8333")
        #expect(local.endpoint.path(key: "k") == "/s3/docs/k")
        #expect(local.endpoint.path(key: nil) == "/s3/docs")
        #expect(try client("https://h:443").endpoint.host == "h")
    }

    @Test func unusableConfigurationsAreRefusedUpFront() {
        for endpoint in ["ftp://h", "not a url", "http://", "http://h?x=1"] {
            let error = #expect(throws: S3Error.self) { try client(endpoint) }
            #expect(error?.code == .invalidConfiguration, "\(endpoint)")
        }
        #expect(throws: S3Error.self) { try client(nil, bucket: "") }
        #expect(throws: S3Error.self) { try client(nil, region: "") }
        #expect(throws: S3Error.self) {
            try S3Client(configuration: S3Configuration(bucket: "b", accessKeyID: "", secretAccessKey: "s"))
        }
    }

    @Test func badKeysAndMetadataAreRefusedBeforeAnythingIsSent() throws {
        // Port 9 is never contacted: validation fails first.
        let offline = try client("http://127.0.0.1:9")
        let emptyKey = #expect(throws: S3Error.self) { try offline.getObject(key: "") }
        #expect(emptyKey?.code == .invalidArgument)
        #expect(throws: S3Error.self) { try offline.headObject(key: String(repeating: "k", count: 1025)) }
        let badValue = #expect(throws: S3Error.self) {
            try offline.putObject(key: "k", body: Data(), metadata: ["folio-commit": "a\r\nx-evil: 1"])
        }
        #expect(badValue?.code == .invalidArgument)
        #expect(throws: S3Error.self) { try offline.putObject(key: "k", body: Data(), metadata: ["bad name": "v"]) }
        #expect(throws: S3Error.self) { try offline.putObject(key: "k", body: Data(), metadata: ["author": "Zoë"]) }
    }
}
