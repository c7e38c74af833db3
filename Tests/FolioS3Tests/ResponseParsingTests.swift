import Foundation
import Testing

@testable import FolioS3

struct ResponseParsingTests {
    @Test func listingDecodesURLEncodedKeysAndKeepsTheContinuationToken() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>folio</Name><Prefix>p%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
              <EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
              <Contents><Key>p/a+b%2Bc.json</Key><LastModified>2024-01-02T03:04:05.678Z</LastModified>
                <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>
              <Contents><Key>p/%C3%BC.json</Key><LastModified>2024-01-02T03:04:06Z</LastModified><ETag>"x"</ETag><Size>0</Size></Contents>
              <NextContinuationToken>1/AbC+d==</NextContinuationToken>
            </ListBucketResult>
            """
        let page = try ListObjectsParser.parse(Data(xml.utf8))
        #expect(page.keys.map(\.key) == ["p/a b+c.json", "p/ü.json"])
        #expect(page.keys.map(\.size) == [42, 0])
        #expect(page.keys.first?.etag == "9b2cf535f27731c974343645a3985328")
        #expect(page.keys.first?.lastModified == Date(timeIntervalSince1970: 1_704_164_645.678))
        #expect(page.nextContinuationToken == "1/AbC+d==")
    }

    @Test func listingWithoutEncodingTypeKeepsKeysLiteral() throws {
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b%20.json</Key><Size>1</Size></Contents></ListBucketResult>"
        let page = try ListObjectsParser.parse(Data(xml.utf8))
        #expect(page.keys.map(\.key) == ["a+b%20.json"])
        #expect(page.nextContinuationToken == nil)
    }

    @Test func truncatedListingWithoutATokenIsRejected() {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"
        let error = #expect(throws: S3Error.self) { try ListObjectsParser.parse(Data(xml.utf8)) }
        #expect(error?.code == .invalidResponse)
        #expect(throws: S3Error.self) { try ListObjectsParser.parse(Data("<html>proxy error".utf8)) }
    }

    @Test func errorBodyGivesCodeMessageAndRequestID() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message>
            <RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        let body = try #require(S3ErrorBody.parse(Data(xml.utf8)))
        #expect(body.code == "SignatureDoesNotMatch")
        #expect(body.message == "The request signature we calculated does not match.")
        #expect(body.requestID == "4442587FB7D0A2F9")
        #expect(S3ErrorBody.parse(Data()) == nil)
        #expect(S3ErrorBody.parse(Data("<html>502 Bad Gateway</html>".utf8)) == nil)
    }

    @Test func s3CodesMapToClientCodesAndRetryability() {
        let cases: [(String?, Int, S3Error.Code, Bool)] = [
            ("AccessDenied", 403, .accessDenied, false),
            ("SignatureDoesNotMatch", 403, .signatureDoesNotMatch, false),
            ("InvalidAccessKeyId", 403, .invalidAccessKeyId, false),
            ("NoSuchBucket", 404, .noSuchBucket, false),
            ("NoSuchKey", 404, .noSuchKey, false),
            ("SlowDown", 503, .slowDown, true),
            ("InternalError", 500, .serverError, true),
            ("RequestTimeout", 400, .timeout, true),
            ("PermanentRedirect", 301, .wrongRegion, false),
            ("SomethingNew", 400, .requestRejected, false),
            (nil, 404, .noSuchKey, false),
            (nil, 429, .slowDown, true),
            (nil, 502, .serverError, true),
        ]
        for (s3Code, status, expected, retryable) in cases {
            let code = S3Error.code(s3Code: s3Code, httpStatus: status, notFound: .noSuchKey)
            #expect(code == expected, "\(s3Code ?? "no body") \(status)")
            let error = S3Error(code: code, message: "m", httpStatus: status, s3Code: s3Code)
            #expect(error.isRetryable == retryable, "\(s3Code ?? "no body") \(status)")
        }
    }

    @Test func errorDescriptionNamesCodeStatusAndServerCode() {
        let error = S3Error(code: .noSuchKey, message: "GetObject s3://b/k failed", httpStatus: 404, s3Code: "NoSuchKey", requestID: "R1")
        #expect(error.description == "S3Error.noSuchKey (HTTP 404, NoSuchKey): GetObject s3://b/k failed [request id R1]")
    }

    @Test func httpDatesParseInUTC() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HTTPDate.parseISO8601("1994-11-06T08:49:37Z") == Date(timeIntervalSince1970: 784_111_777))
    }
}
