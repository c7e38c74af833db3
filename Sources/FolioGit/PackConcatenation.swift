internal import CGit2
internal import CZlib
import FolioSupport
import Foundation

/// Merges packs into one by copying their entries as they are: no object is inflated, searched for a
/// delta base or compressed again.
///
/// A busy store writes a pack per group commit and rolls the small ones up geometrically. libgit2's
/// packbuilder redoes the delta search for every object it writes, which made the roll-up the largest
/// user of CPU beside the writer itself, for packs whose entries were already compressed and
/// delta-encoded. Entries copied in their pack's order keep working: a whole object is self-contained,
/// an offset delta names its base by its distance back (recomputed here, since skipping a duplicate
/// can change it), and a ref delta names its base by id. The index's ids come from the source indexes;
/// the CRC of each entry is taken over the bytes written. `folio gc` still repacks with the full delta
/// search.
///
/// Memory stays small: entries are read in order through a window, and the pack is written and hashed
/// as it goes.
struct PackConcatenation {
    /// One source pack's entries, in the order they lie in the pack.
    private struct Source {
        var packPath: String
        var packSize: Int
        /// Sorted by offset, with the CRC-32 the index gives each entry's bytes.
        var entries: [(offset: Int, id: ObjectID, crc: UInt32)]
    }

    let folder: String

    /// Writes one pack holding every object of the packs named `stems` (paths without `.pack`/`.idx`)
    /// and `loose` (read through `repository`), each once. Returns the new pack's name stem and how many
    /// objects it holds.
    func merge(stems: [String], loose: [ObjectID], from repository: Repository) throws -> (stem: String, objects: Int) {
        let sources = try stems.map { try PackConcatenation.source($0) }
        var unique = Set<ObjectID>()
        for source in sources { for entry in source.entries { unique.insert(entry.id) } }
        let extraLoose = loose.filter { unique.insert($0).inserted }

        var ids: [ObjectID] = [], offsets: [Int] = [], crcs: [UInt32] = []
        let stem = try PackFile.install(into: folder, writePack: { path in
            let output = try PackOutput(path: path)
            var header: [UInt8] = Array("PACK".utf8)
            PackFile.appendBigEndian(UInt32(2), to: &header)
            PackFile.appendBigEndian(UInt32(unique.count), to: &header)
            try output.write(header)

            var placed: [ObjectID: Int] = [:]
            placed.reserveCapacity(unique.count)
            ids.reserveCapacity(unique.count)
            offsets.reserveCapacity(unique.count)
            crcs.reserveCapacity(unique.count)
            func place(_ id: ObjectID, _ entry: [UInt8]) throws {
                placed[id] = output.position
                ids.append(id)
                offsets.append(output.position)
                crcs.append(PackConcatenation.crc(entry))
                try output.write(entry)
            }

            for source in sources {
                let reader = try WindowReader(path: source.packPath)
                let byOffset = source.entries.map(\.offset)
                for (index, entry) in source.entries.enumerated() {
                    // Another pack had it already: one copy is enough, and the count in the header says so.
                    if placed[entry.id] != nil { continue }
                    let end = index + 1 < source.entries.count ? source.entries[index + 1].offset : source.packSize - 20
                    let bytes = try reader.read(entry.offset..<end)
                    // Copied bytes are not inflated, so this is the check that they are what was written
                    // (as git checks before reusing an entry): a damaged entry stops the roll-up, and the
                    // packs stay as they are.
                    guard PackConcatenation.crc(bytes) == entry.crc else {
                        throw GitError(code: .failed, function: "concatenatePacks", message: "\(source.packPath): the entry of \(entry.id.hex) at \(entry.offset) does not match its index's CRC")
                    }
                    let rewritten = try PackConcatenation.relocated(bytes, at: entry.offset, newOffset: output.position) { baseOffset in
                        guard let found = PackConcatenation.search(byOffset, for: baseOffset), let base = placed[source.entries[found].id] else {
                            throw GitError(code: .failed, function: "concatenatePacks", message: "\(source.packPath): a delta's base at \(baseOffset) is not an entry before it")
                        }
                        return base
                    }
                    try place(entry.id, rewritten)
                }
            }
            for id in extraLoose {
                let entry = try repository.withRawObject(id) { type, content -> [UInt8] in
                    var entry: [UInt8] = []
                    PackFile.appendEntryHeader(type: Int(type.rawValue), size: content.count, to: &entry)
                    try PackFile.appendDeflated(Array(content), to: &entry)
                    return entry
                }
                try place(id, entry)
            }
            guard ids.count == unique.count else {
                throw GitError(code: .failed, function: "concatenatePacks", message: "wrote \(ids.count) objects, the header says \(unique.count)")
            }
            return try output.finish()
        }, makeIndex: { checksum in
            try PackFile.makeIndex(ids: ids, offsets: offsets, crcs: crcs, packChecksum: checksum)
        })
        return (stem, ids.count)
    }

    /// An entry moved from `offset` to `newOffset`: the same bytes, except that an offset delta's
    /// distance back to its base is recomputed from where `newBase` says the base went.
    static func relocated(_ entry: [UInt8], at offset: Int, newOffset: Int, newBase: (Int) throws -> Int) throws -> [UInt8] {
        func corrupt() -> GitError { GitError(code: .failed, function: "concatenatePacks", message: "a pack entry at \(offset) is cut short") }
        guard let first = entry.first else { throw corrupt() }
        let type = (first >> 4) & 7
        var position = 1
        var byte = first
        while byte & 0x80 != 0 {
            guard position < entry.count else { throw corrupt() }
            byte = entry[position]
            position += 1
        }
        guard type == 6 else { return entry }  // OBJ_OFS_DELTA
        let sizeEnd = position
        guard position < entry.count else { throw corrupt() }
        byte = entry[position]
        position += 1
        var distance = Int(byte & 0x7f)
        while byte & 0x80 != 0 {
            guard position < entry.count, distance < Int.max >> 8 else { throw corrupt() }
            byte = entry[position]
            position += 1
            distance = ((distance + 1) << 7) | Int(byte & 0x7f)
        }
        guard distance > 0, distance <= offset else { throw corrupt() }
        let base = try newBase(offset - distance)
        var out = Array(entry[..<sizeEnd])
        out.reserveCapacity(entry.count + 4)
        PackFile.appendBaseDistance(newOffset - base, to: &out)
        out.append(contentsOf: entry[position...])
        return out
    }

    private static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    /// The position of `offset` in the sorted `offsets`, if it is there.
    private static func search(_ offsets: [Int], for offset: Int) -> Int? {
        var low = 0, high = offsets.count
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] < offset { low = middle + 1 } else { high = middle }
        }
        return low < offsets.count && offsets[low] == offset ? low : nil
    }

    /// Reads a version 2 index: its ids and where each object starts in the pack.
    private static func source(_ stem: String) throws -> Source {
        let index = try Data(contentsOf: URL(fileURLWithPath: stem + ".idx"), options: .alwaysMapped)
        var info = stat()
        guard stat(stem + ".pack", &info) == 0 else { throw SystemError.errno("stat", stem + ".pack") }
        let packSize = Int(info.st_size)
        func corrupt(_ why: String) -> GitError { GitError(code: .failed, function: "concatenatePacks", message: "\(stem).idx: \(why)") }
        return try index.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Source in
            func word(_ at: Int) -> UInt32 { UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
            guard raw.count >= 8 + 1024 + 40, word(0) == 0xff74_4f63, word(4) == 2 else { throw corrupt("not a version 2 index") }
            let count = Int(word(8 + 255 * 4))
            let idsAt = 8 + 1024
            let crcsAt = idsAt + 20 * count
            let offsetsAt = crcsAt + 4 * count
            let largeAt = offsetsAt + 4 * count
            guard raw.count >= largeAt + 40 else { throw corrupt("shorter than its \(count) objects need") }
            var entries: [(offset: Int, id: ObjectID, crc: UInt32)] = []
            entries.reserveCapacity(count)
            for index in 0..<count {
                let id = ObjectID(bytes: UnsafeRawBufferPointer(rebasing: raw[(idsAt + 20 * index)..<(idsAt + 20 * index + 20)]))
                var offset = Int(word(offsetsAt + 4 * index))
                if offset & 0x8000_0000 != 0 {
                    let at = largeAt + 8 * (offset & 0x7fff_ffff)
                    guard at + 8 <= raw.count - 40 else { throw corrupt("a large offset lies outside the index") }
                    offset = Int(UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                }
                guard offset >= 12, offset < packSize - 20 else { throw corrupt("an offset lies outside the pack") }
                entries.append((offset, id, word(crcsAt + 4 * index)))
            }
            entries.sort { $0.offset < $1.offset }
            return Source(packPath: stem + ".pack", packSize: packSize, entries: entries)
        }
    }
}

/// Reads ranges of a file in increasing order through a window of a few MiB.
private final class WindowReader {
    private let descriptor: Int32
    private let path: String
    private var window: [UInt8] = []
    private var windowStart = 0
    private static let windowSize = 4 << 20

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError.errno("open", path) }
    }

    deinit { close(descriptor) }

    func read(_ range: Range<Int>) throws -> [UInt8] {
        if range.lowerBound < windowStart || range.upperBound > windowStart + window.count {
            windowStart = range.lowerBound
            window = [UInt8](repeating: 0, count: max(range.count, WindowReader.windowSize))
            var filled = 0
            while filled < window.count {
                let got = window.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, $0.count - filled, off_t(windowStart + filled)) }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw SystemError.errno("pread", path)
                }
                if got == 0 { break }
                filled += got
            }
            window.removeLast(window.count - filled)
            guard range.count <= filled else {
                throw GitError(code: .failed, function: "concatenatePacks", message: "\(path) ends before \(range.upperBound)")
            }
        }
        return Array(window[(range.lowerBound - windowStart)..<(range.upperBound - windowStart)])
    }
}

/// A pack file being written: buffered, hashed as it goes, fsynced with its trailer at the end.
private final class PackOutput {
    private let descriptor: Int32
    private let path: String
    private let hash: Digest.SHA1Stream
    private var buffer: [UInt8] = []
    private(set) var position = 0

    init(path: String) throws {
        self.path = path
        hash = try Digest.SHA1Stream()
        // Read-only like git's own pack files; the name is fresh, so nothing else can hold it.
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw SystemError.errno("open", path) }
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(descriptor) }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        position += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try hash.update($0) }
        try DurableFile.writeAll(buffer, to: descriptor, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and the SHA-1 trailer, fsyncs, and returns the trailer.
    func finish() throws -> [UInt8] {
        try flush()
        let checksum = try hash.finish()
        try DurableFile.writeAll(checksum, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw SystemError.errno("fsync", path) }
        return checksum
    }
}
