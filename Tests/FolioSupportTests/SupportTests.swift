import FolioSupport
import Foundation
import Testing

@Suite struct HexTests {
    @Test func encodesLowerAndUpperCase() {
        #expect(Hex.string([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.string([0xab, 0x5c], uppercase: true) == "AB5C")
        #expect(Hex.string([UInt8]()) == "")
    }

    @Test func readsDigitsOfEitherCase() {
        #expect(Hex.value(of: UInt8(ascii: "7")) == 7)
        #expect(Hex.value(of: UInt8(ascii: "c")) == 12)
        #expect(Hex.value(of: UInt8(ascii: "F")) == 15)
        #expect(Hex.value(of: UInt8(ascii: "g")) == nil)
    }
}

@Suite struct DigestTests {
    @Test func sha1AndSha256MatchPublishedValues() throws {
        #expect(try Hex.string(Digest.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(try Hex.string(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacMatchesRFC4231() throws {
        let mac = try Digest.hmacSHA256(key: Array("Jefe".utf8), message: "what do ya want for nothing?")
        #expect(Hex.string(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

@Suite struct ObjectIDTests {
    @Test func parsesOnlyFullHexIds() {
        #expect(ObjectID(hex: String(repeating: "A", count: 40))?.hex == String(repeating: "a", count: 40))
        #expect(ObjectID(hex: String(repeating: "a", count: 39)) == nil)
        #expect(ObjectID(hex: String(repeating: "g", count: 40)) == nil)
        #expect(ObjectID.looksLikeHex("abcd") && !ObjectID.looksLikeHex("abc") && !ObjectID.looksLikeHex("xyz1"))
    }

    @Test func roundTripsThroughJSONAsText() throws {
        let id = try #require(ObjectID(hex: "0123456789abcdef0123456789abcdef01234567"))
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["0123456789abcdef0123456789abcdef01234567"]"#)
        #expect(try JSONDecoder().decode([ObjectID].self, from: data) == [id])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ObjectID].self, from: Data(#"["abc"]"#.utf8)) }
    }
}

@Suite struct DurableFileTests {
    private func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "folio-support-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writesWholeFileWithModeAndSyncsFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        try DurableFile.write(bytes, to: folder + "/a", mode: 0o444, exclusive: true)
        try DurableFile.syncFolder(folder)
        try DurableFile.syncFileSystem(containing: folder)
        #expect(FileManager.default.contents(atPath: folder + "/a") == Data(bytes))
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/a")
        #expect((attributes[.posixPermissions] as? Int) == 0o444)
    }

    @Test func exclusiveWriteRefusesAnExistingFileAndNamesIt() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try DurableFile.write([1, 2, 3], to: folder + "/b")
        let error = #expect(throws: SystemError.self) { try DurableFile.write([4], to: folder + "/b", exclusive: true) }
        #expect(error?.function == "open" && error?.code == EEXIST && error?.message.contains(folder + "/b") == true)
        #expect(FileManager.default.contents(atPath: folder + "/b") == Data([1, 2, 3]))
    }

    @Test func renameReplacesTheTarget() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try DurableFile.write([1], to: folder + "/old")
        try DurableFile.write([2], to: folder + "/new")
        try DurableFile.rename(folder + "/new", to: folder + "/old")
        #expect(FileManager.default.contents(atPath: folder + "/old") == Data([2]))
        #expect(!FileManager.default.fileExists(atPath: folder + "/new"))
    }
}
