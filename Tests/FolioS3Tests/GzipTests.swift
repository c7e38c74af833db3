import Foundation
import Testing

@testable import FolioS3

struct GzipTests {
    let json = Data(String(repeating: #"{"content": "Plans change; history stays.", "type": "prd"}"#, count: 200).utf8)

    @Test func compressedBytesAreAGzipFileTheGzipCommandReads() throws {
        let compressed = try Gzip.compress(json)
        #expect(compressed.prefix(2) == Data([0x1F, 0x8B]))
        #expect(compressed.count < json.count / 10)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("folio-gzip-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try compressed.write(to: file)
        let result = try TestEnvironment.run(["gzip", "-dc", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == json)
    }

    @Test func decompressReadsWhatTheGzipCommandWrote() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("folio-gzip-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try json.write(to: file)
        let result = try TestEnvironment.run(["gzip", "-9", "-c", file.path])
        #expect(result.status == 0)
        #expect(try Gzip.decompress(result.stdout) == json)
    }

    @Test func roundTripsEmptyAndIncompressibleData() throws {
        #expect(try Gzip.decompress(Gzip.compress(Data())) == Data())
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(try Gzip.decompress(Gzip.compress(noise)) == noise)
    }

    @Test func truncatedOrCorruptDataIsAnInvalidResponseNotACrash() throws {
        let compressed = try Gzip.compress(json)
        let truncated = #expect(throws: S3Error.self) { try Gzip.decompress(compressed.prefix(compressed.count / 2)) }
        #expect(truncated?.code == .invalidResponse)
        var corrupt = compressed
        corrupt[corrupt.count - 6] ^= 0xFF  // inside the CRC32 trailer
        let crc = #expect(throws: S3Error.self) { try Gzip.decompress(corrupt) }
        #expect(crc?.code == .invalidResponse)
        #expect(throws: S3Error.self) { try Gzip.decompress(Data("not gzip at all".utf8)) }
    }
}
