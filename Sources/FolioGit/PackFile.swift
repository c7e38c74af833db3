internal import CGit2
internal import CZlib
import FolioSupport
import Foundation

/// A git pack (version 2) and its index (version 2), built in memory from objects whose ids are known.
///
/// A group commit's pack holds only what its saves created: per save a blob, the trees on the file's
/// path and a commit. Consecutive saves in one batch rewrite the same folder trees (and often the same
/// file), so each older version is stored as a delta against the next newer one — found by comparing
/// the common prefix and suffix, which is exact for a tree that changed one entry and for a document
/// edited in one place. The newest version stays whole, so the reads that matter most resolve no
/// delta. Because the ids are known, the index is written directly instead of re-reading, inflating
/// and re-hashing every object as libgit2's indexer (built for untrusted input) would. The background
/// roll-up copies these entries as they are; `folio gc` rewrites them with git's full delta search.
struct PackFile {
    /// One object to pack: `lineage` names what it is a version of (a folder's or a file's path), so
    /// the next newer object of the same lineage can serve as its delta base.
    struct Object: Sendable {
        var id: ObjectID
        var type: git_object_t
        var content: [UInt8]
        var lineage: String?
    }

    /// Deltas longer than this fraction of the object are not worth their resolution cost.
    private static let deltaWorthwhile = 0.5
    /// Bound on delta chains, like git's default `--depth=50`.
    private static let maxDepth = 50

    private(set) var pack: [UInt8] = []
    private(set) var index: [UInt8] = []

    init(objects: [Object]) throws {
        // Newest first, so a delta's base (the next newer version) is always written before it.
        let order = Array(objects.indices.reversed())
        var newerOf: [Int: Int] = [:]  // object index → index of the next newer object of its lineage
        var latest: [String: Int] = [:]
        for index in order {
            guard let lineage = objects[index].lineage else { continue }
            if let newer = latest[lineage] { newerOf[index] = newer }
            latest[lineage] = index
        }

        pack.append(contentsOf: Array("PACK".utf8))
        PackFile.appendBigEndian(UInt32(2), to: &pack)
        PackFile.appendBigEndian(UInt32(objects.count), to: &pack)
        var offsets = [Int](repeating: 0, count: objects.count)
        var crcs = [UInt32](repeating: 0, count: objects.count)
        var depths = [Int](repeating: 0, count: objects.count)
        for index in order {
            let object = objects[index]
            let start = pack.count
            offsets[index] = start
            var delta: [UInt8]?
            if let base = newerOf[index], depths[base] < PackFile.maxDepth {
                let candidate = PackFile.delta(from: objects[base].content, to: object.content)
                if Double(candidate.count) < Double(object.content.count) * PackFile.deltaWorthwhile {
                    delta = candidate
                    depths[index] = depths[base] + 1
                    PackFile.appendEntryHeader(type: 6, size: candidate.count, to: &pack)  // OBJ_OFS_DELTA
                    PackFile.appendBaseDistance(start - offsets[base], to: &pack)
                }
            }
            if delta == nil {
                PackFile.appendEntryHeader(type: Int(object.type.rawValue), size: object.content.count, to: &pack)
            }
            try PackFile.appendDeflated(delta ?? object.content, to: &pack)
            crcs[index] = pack.withUnsafeBufferPointer { bytes in
                UInt32(crc32(0, bytes.baseAddress! + start, uInt(pack.count - start)))
            }
        }
        let trailer = try Digest.sha1(pack)
        pack.append(contentsOf: trailer)
        index = try PackFile.makeIndex(ids: objects.map(\.id), offsets: offsets, crcs: crcs, packChecksum: trailer)
    }

    /// Writes the pack and its index into `folder` durably (see `install`).
    func write(into folder: String) throws {
        _ = try PackFile.install(into: folder, writePack: { path in
            try DurableFile.write(pack, to: path, mode: 0o444, exclusive: true)
            return Array(pack.suffix(20))
        }, makeIndex: { _ in index })
    }

    /// Puts a pack and its index in place durably: each written under a fresh temporary name (read-only,
    /// like git's own pack files) and fsynced, the pack renamed into place before its index (a reader
    /// that finds the index finds the pack), then the folder fsynced. `writePack` writes the pack to the
    /// path it is given and returns its SHA-1 trailer, which names both files and goes into the index
    /// `makeIndex` makes. Returns the path of both without the extension.
    static func install(into folder: String, writePack: (String) throws -> [UInt8], makeIndex: ([UInt8]) throws -> [UInt8]) throws -> String {
        let token = TemporaryName.token()
        let temporaryPack = folder + "/tmp_pack_" + token
        let temporaryIndex = folder + "/tmp_idx_" + token
        defer {
            unlink(temporaryPack)
            unlink(temporaryIndex)
        }
        let checksum = try writePack(temporaryPack)
        try DurableFile.write(try makeIndex(checksum), to: temporaryIndex, mode: 0o444, exclusive: true)
        let stem = folder + "/pack-" + Hex.string(checksum)
        try DurableFile.rename(temporaryPack, to: stem + ".pack")
        try DurableFile.rename(temporaryIndex, to: stem + ".idx")
        try DurableFile.syncFolder(folder)
        return stem
    }

    // MARK: - Encoding

    /// Git's delta: copy the common prefix from the base, insert what differs, copy the common suffix.
    static func delta(from base: [UInt8], to target: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendSize(base.count, to: &out)
        appendSize(target.count, to: &out)
        let limit = min(base.count, target.count)
        var prefix = 0
        var suffix = 0
        base.withUnsafeBufferPointer { base in
            target.withUnsafeBufferPointer { target in
                while prefix < limit && base[prefix] == target[prefix] { prefix += 1 }
                while suffix < limit - prefix && base[base.count - 1 - suffix] == target[target.count - 1 - suffix] { suffix += 1 }
            }
        }
        appendCopy(offset: 0, size: prefix, to: &out)
        var position = prefix
        while position < target.count - suffix {
            let length = min(127, target.count - suffix - position)
            out.append(UInt8(length))
            out.append(contentsOf: target[position..<(position + length)])
            position += length
        }
        appendCopy(offset: base.count - suffix, size: suffix, to: &out)
        return out
    }

    /// Copy instructions: offset in up to four bytes, size in up to three, each present byte flagged.
    private static func appendCopy(offset: Int, size: Int, to out: inout [UInt8]) {
        var offset = offset
        var remaining = size
        while remaining > 0 {
            let chunk = min(remaining, 0xff_ffff)
            var command: UInt8 = 0x80
            var operands: [UInt8] = []
            for byte in 0..<4 where (offset >> (8 * byte)) & 0xff != 0 {
                command |= 1 << byte
                operands.append(UInt8((offset >> (8 * byte)) & 0xff))
            }
            for byte in 0..<3 where (chunk >> (8 * byte)) & 0xff != 0 {
                command |= 0x10 << byte
                operands.append(UInt8((chunk >> (8 * byte)) & 0xff))
            }
            out.append(command)
            out.append(contentsOf: operands)
            offset += chunk
            remaining -= chunk
        }
    }

    /// A delta's sizes: seven bits per byte, least significant first, high bit meaning "more".
    private static func appendSize(_ size: Int, to out: inout [UInt8]) {
        var size = size
        repeat {
            var byte = UInt8(size & 0x7f)
            size >>= 7
            if size > 0 { byte |= 0x80 }
            out.append(byte)
        } while size > 0
    }

    /// Entry header: type in bits 4–6 of the first byte, the size in its low 4 bits and 7 bits per byte after.
    static func appendEntryHeader(type: Int, size: Int, to out: inout [UInt8]) {
        var size = size
        var byte = UInt8(type << 4) | UInt8(size & 0x0f)
        size >>= 4
        while size > 0 {
            out.append(byte | 0x80)
            byte = UInt8(size & 0x7f)
            size >>= 7
        }
        out.append(byte)
    }

    /// An offset delta's distance back to its base, most significant group first, each continuation
    /// implicitly adding one (so every distance has exactly one encoding).
    static func appendBaseDistance(_ distance: Int, to out: inout [UInt8]) {
        var distance = distance
        var bytes = [UInt8(distance & 0x7f)]
        distance >>= 7
        while distance > 0 {
            distance -= 1
            bytes.append(0x80 | UInt8(distance & 0x7f))
            distance >>= 7
        }
        out.append(contentsOf: bytes.reversed())
    }

    static func appendDeflated(_ content: [UInt8], to out: inout [UInt8]) throws {
        let bound = Int(compressBound(uLong(content.count)))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        var written = uLongf(bound)
        let status = out.withUnsafeMutableBufferPointer { buffer in
            content.withUnsafeBufferPointer { source in
                // The fastest level: the writer waits for it, and `folio gc` compresses these objects again.
                compress2(buffer.baseAddress! + start, &written, source.baseAddress, uLong(content.count), Z_BEST_SPEED)
            }
        }
        guard status == Z_OK else {
            throw GitError(code: .failed, function: "compress2", message: "zlib could not deflate an object (status \(status))")
        }
        out.removeLast(bound - Int(written))
    }

    /// The version 2 index: fan-out table, sorted ids, CRC-32s, offsets (large ones in a second table),
    /// the pack's checksum and the index's own.
    static func makeIndex(ids: [ObjectID], offsets: [Int], crcs: [UInt32], packChecksum: [UInt8]) throws -> [UInt8] {
        let raw = ids.map { id in withUnsafeBytes(of: id.oid.id) { Array($0.prefix(20)) } }
        let sorted = raw.indices.sorted { raw[$0].lexicographicallyPrecedes(raw[$1]) }
        var out: [UInt8] = [0xff, 0x74, 0x4f, 0x63]
        appendBigEndian(UInt32(2), to: &out)
        var fanout = [UInt32](repeating: 0, count: 256)
        for bytes in raw { fanout[Int(bytes[0])] += 1 }
        var running: UInt32 = 0
        for bucket in 0..<256 {
            running += fanout[bucket]
            appendBigEndian(running, to: &out)
        }
        for index in sorted { out.append(contentsOf: raw[index]) }
        for index in sorted { appendBigEndian(crcs[index], to: &out) }
        var large: [UInt64] = []
        for index in sorted {
            if offsets[index] < 0x8000_0000 {
                appendBigEndian(UInt32(offsets[index]), to: &out)
            } else {
                appendBigEndian(0x8000_0000 | UInt32(large.count), to: &out)
                large.append(UInt64(offsets[index]))
            }
        }
        for offset in large { appendBigEndian(offset, to: &out) }
        out.append(contentsOf: packChecksum)
        out.append(contentsOf: try Digest.sha1(out))
        return out
    }

    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }
}
