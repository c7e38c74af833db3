import FolioSupport
import Foundation
import Testing

@Suite struct ZlibStreamTests {
    @Test func gzipFedInPiecesIsWhatTheGzipCommandReads() throws {
        let text = Data((0..<20_000).map { "line \($0) of a long plan\n" }.joined().utf8)
        let stream = try ZlibStream(.gzip(level: ZlibStream.defaultLevel))
        var compressed = Data()
        var offset = 0
        while offset < text.count {
            let end = min(offset + 7_919, text.count)
            compressed += try stream.update(text[offset..<end])
            offset = end
        }
        compressed += try stream.finish()
        #expect(stream.ended)
        #expect(throws: ZlibError.self, "a finished stream takes nothing more") { try stream.update(Data("x".utf8)) }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("folio-zlib-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try compressed.write(to: file)
        let process = try ChildProcess(executable: "/usr/bin/env", arguments: ["gzip", "-dc", file.path], environment: ProcessInfo.processInfo.environment)
        try process.standardInput.close()
        process.discardStandardError()
        let output = process.standardOutput.readDataToEndOfFile()
        #expect(try process.waitForExit() == .exited(0) && output == text)
        #expect(try ZlibStream(.inflate).finish(compressed) == text)
    }

    @Test func truncatedInputIsADataError() throws {
        let compressed = try ZlibStream(.gzip(level: 9)).finish(Data(repeating: 65, count: 10_000))
        let error = #expect(throws: ZlibError.self) { try ZlibStream(.inflate).finish(compressed.prefix(compressed.count - 10)) }
        #expect(error?.isDataError == true)
    }

    @Test func crc32IsTheStandardChecksum() {
        // The check value of CRC-32/ISO-HDLC, which zip and gzip use.
        #expect(CRC32.checksum(Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Data("6789".utf8), continuing: CRC32.checksum(Data("12345".utf8))) == 0xCBF4_3926)
        #expect(CRC32.checksum(Data()) == 0)
    }
}
