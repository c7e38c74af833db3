import Foundation
import Testing

@testable import FolioS3
import FolioSupport

/// The worked examples of the S3 SigV4 documentation ("Signature Calculations for the
/// Authorization Header" and "Query String Authentication"), checked stage by stage.
struct SigV4KnownAnswerTests {
    let signer = S3Signer(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    let may24 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test func hashesAndHMACsMatchPublishedValues() throws {
        #expect(try SHA256.hexHash(Data()) == SHA256.emptyPayloadHex)
        #expect(try SHA256.hexHash(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // RFC 4231 test case 2.
        let mac = try Digest.hmacSHA256(key: Array("Jefe".utf8), message: "what do ya want for nothing?")
        #expect(Hex.string(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func timestampsAreUTCInSigV4Form() {
        let stamp = SigV4Timestamp(may24)
        #expect(stamp.dateTime == "20130524T000000Z")
        #expect(stamp.day == "20130524")
        #expect(SigV4Timestamp(Date(timeIntervalSince1970: 951_868_799.9)).dateTime == "20000229T235959Z")
    }

    @Test func getObjectExampleMatchesEachStage() throws {
        let headers = [
            "host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
            "x-amz-content-sha256": SHA256.emptyPayloadHex, "x-amz-date": "20130524T000000Z",
        ]
        let canonical = signer.canonicalRequest(method: "GET", path: "/test.txt", query: [:], headers: headers, payloadHash: SHA256.emptyPayloadHex)
        #expect(canonical.text == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        let toSign = try signer.stringToSign(canonicalRequest: canonical.text, timestamp: SigV4Timestamp(may24))
        #expect(toSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        let signature = try signer.signature(stringToSign: toSign, signingKey: signer.signingKey(day: "20130524"))
        #expect(signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")

        let signed = try signer.signedHeaders(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", headers: ["Range": "bytes=0-9"],
            body: Data(), date: may24)
        #expect(signed["authorization"] == """
            AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
            SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
            Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
            """)
    }

    @Test func putObjectExampleSignsBodyHashDateAndStorageClass() throws {
        let signed = try signer.signedHeaders(
            method: "PUT", host: "examplebucket.s3.amazonaws.com", path: "/test$file.text",
            headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
            body: Data("Welcome to Amazon S3.".utf8), date: may24)
        #expect(signed["x-amz-content-sha256"] == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(signed["authorization"]?.hasSuffix("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd") == true)
        #expect(signed["authorization"]?.contains("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class") == true)
    }

    @Test func presignedExampleMatches() throws {
        let url = try S3Presigner(signer: signer).presignedURL(
            scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", expires: 86400, date: may24)
        #expect(url == """
            https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
            &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
            &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404
            """)
    }

    @Test func sessionTokenIsSignedAsHeaderAndAsQueryParameter() throws {
        var withToken = signer
        withToken.sessionToken = "token/with+symbols="
        let headers = try withToken.signedHeaders(method: "GET", host: "h", path: "/k", body: Data(), date: may24)
        #expect(headers["x-amz-security-token"] == "token/with+symbols=")
        #expect(headers["authorization"]?.contains("x-amz-security-token") == true)
        let url = try S3Presigner(signer: withToken).presignedURL(scheme: "https", host: "h", path: "/k", expires: 60, date: may24)
        #expect(url.contains("&X-Amz-Security-Token=token%2Fwith%2Bsymbols%3D&"))
    }

    @Test(arguments: [0, -1, 604_801])
    func presigningRefusesExpiryOutsideOneSecondToSevenDays(expires: Int) throws {
        let error = try #require(throws: S3Error.self) {
            try S3Presigner(signer: signer).presignedURL(scheme: "https", host: "h", path: "/k", expires: expires, date: may24)
        }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("604800"))
    }

    @Test func pathSegmentsKeepSlashesAndEncodeEverythingButUnreserved() {
        #expect(URIEncoding.encodePath("/b/a b+c~d_e-f.g//h%i/ü") == "/b/a%20b%2Bc~d_e-f.g//h%25i/%C3%BC")
        #expect(URIEncoding.encode("a/b=c&d") == "a%2Fb%3Dc%26d")
        #expect(S3Signer.canonicalQuery(["prefix": "a b", "list-type": "2", "Z": ""]) == "Z=&list-type=2&prefix=a%20b")
        #expect(URIEncoding.decode("a+b%2Bc%20%C3%BC", plusAsSpace: true) == "a b+c ü")
        #expect(URIEncoding.decode("bad%2", plusAsSpace: false) == nil)
    }
}
