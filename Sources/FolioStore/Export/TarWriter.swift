import Foundation

/// Writes a POSIX tar archive one entry at a time, laid out as `git archive --format=tar` lays out a
/// commit's files: a pax global header naming the commit (which `git get-tar-commit-id` reads), then
/// regular files — mode 0644, owned by root, dated with the commit's time — then two empty blocks.
///
/// Entries are ustar; a path that does not fit ustar's name and prefix fields (a 128-character name in
/// a long project id can be 213 bytes) is carried by a pax `path` record, which GNU tar, bsdtar and
/// Python's tarfile all read.
struct TarWriter {
    static let blockSize = 512
    /// The entries' modification time, whole seconds since 1970.
    let modified: Int64

    init(modified: Date) {
        self.modified = max(0, Int64(modified.timeIntervalSince1970.rounded(.down)))
    }

    /// The pax global header with `comment=COMMIT`, as git archive begins.
    func start(commit: String) throws -> Data {
        let record = Data(TarWriter.paxRecord("comment", commit).utf8)
        return try header(name: Array("pax_global_header".utf8), prefix: [], typeflag: "g", size: record.count) + padded(record)
    }

    /// A regular file at `path` holding `data`.
    func file(path: String, data: Data) throws -> Data {
        let bytes = Array(path.utf8)
        var entry = Data()
        let name: [UInt8], prefix: [UInt8]
        if let split = TarWriter.ustarSplit(bytes) {
            (name, prefix) = split
        } else {
            let record = Data(TarWriter.paxRecord("path", path).utf8)
            entry += try header(name: Array("PaxHeader".utf8), prefix: [], typeflag: "x", size: record.count)
            entry += padded(record)
            // Readers take the pax path; the ustar field keeps a truncated one for those that do not.
            (name, prefix) = (Array(bytes.prefix(100)), [])
        }
        entry += try header(name: name, prefix: prefix, typeflag: "0", size: data.count)
        entry += padded(data)
        return entry
    }

    /// The end of the archive: two zero blocks.
    func end() -> Data {
        Data(count: 2 * TarWriter.blockSize)
    }

    /// `data` followed by zeros up to the next block boundary.
    private func padded(_ data: Data) -> Data {
        let remainder = data.count % TarWriter.blockSize
        return remainder == 0 ? data : data + Data(count: TarWriter.blockSize - remainder)
    }

    /// A 512-byte ustar header.
    private func header(name: [UInt8], prefix: [UInt8], typeflag: Character, size: Int) throws -> Data {
        // Eleven octal digits: sizes below 8 GiB, far above any document Folio accepts.
        guard size < 1 << 33 else {
            throw StoreError(.tooLarge, "a file of \(size) bytes is too large for a tar entry (8 GiB)")
        }
        var block = [UInt8](repeating: 0, count: TarWriter.blockSize)
        func put(_ bytes: [UInt8], at offset: Int) {
            block.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        }
        func octal(_ value: Int64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(Int64(size), width: 12), at: 124)
        put(octal(modified, width: 12), at: 136)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        block[156] = typeflag.asciiValue!
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(Array("root".utf8), at: 265)
        put(Array("root".utf8), at: 297)
        put(octal(0, width: 8), at: 329)
        put(octal(0, width: 8), at: 337)
        put(prefix, at: 345)
        // The checksum is the sum of the header's bytes with its own field read as spaces.
        let sum = block.reduce(0) { $0 + Int64($1) }
        put(Array(octal(sum, width: 7)) + [UInt8(ascii: " ")], at: 148)
        return Data(block)
    }

    /// The ustar name and prefix fields for `path`, or nil when it fits neither way (name at most 100
    /// bytes, prefix at most 155, split at a slash).
    static func ustarSplit(_ path: [UInt8]) -> (name: [UInt8], prefix: [UInt8])? {
        if path.count <= 100 { return (path, []) }
        for index in path.indices where path[index] == UInt8(ascii: "/") {
            let name = path[(index + 1)...]
            guard name.count <= 100 else { continue }
            guard !name.isEmpty, index <= 155 else { return nil }
            return (Array(name), Array(path[..<index]))
        }
        return nil
    }

    /// A pax record, `LENGTH key=value\n`, where LENGTH counts the whole record, its own digits included.
    static func paxRecord(_ key: String, _ value: String) -> String {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count
        while String(length).utf8.count + body.utf8.count != length {
            length = String(length).utf8.count + body.utf8.count
        }
        return "\(length)\(body)"
    }
}
