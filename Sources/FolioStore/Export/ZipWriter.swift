import FolioSupport
import Foundation

/// Writes a zip archive one entry at a time.
///
/// Folio holds one file's bytes at a time, so each entry's CRC-32 and sizes are known before its local
/// header is written: no data descriptors. An entry is deflated, or stored when deflating does not make
/// it smaller. There is no zip64, so an archive holds at most 65,535 entries and 4 GiB; `fits` says
/// beforehand whether a set of files does, so an export is refused before its first byte rather than
/// cut off midway. Like `git archive --format=zip`, the archive's comment is the commit id.
struct ZipWriter {
    /// The most entries and bytes (offsets, sizes) a zip without zip64 records.
    static let maxEntries = 0xFFFF
    static let maxOffset: Int64 = 0xFFFF_FFFF
    static let tooLarge = StoreError(.tooLarge, "the export is larger than a zip archive holds without zip64 (65,535 files, 4 GiB); ask for tar.gz")

    /// The entries' time and date in MS-DOS form (UTC: zip records no time zone).
    private let dosTime: UInt16
    private let dosDate: UInt16
    /// Where the next local header starts.
    private var offset: Int64 = 0
    /// The central directory, built as entries are written and emitted by `end`.
    private var directory = Data()
    private var count = 0

    init(modified: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: modified)
        // MS-DOS dates start in 1980 and end in 2107.
        let year = min(max(parts.year ?? 1980, 1980), 2107)
        let before1980 = (parts.year ?? 1980) < 1980
        dosDate = UInt16((year - 1980) << 9 | (before1980 ? 1 : parts.month ?? 1) << 5 | (before1980 ? 1 : parts.day ?? 1))
        dosTime = before1980 ? 0 : UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
    }

    /// True when `entries` files of `bytes` bytes in all, whose paths take `pathBytes`, fit in a zip
    /// without zip64 (stored at worst: deflate is used only when smaller).
    static func fits(entries: Int, bytes: Int64, pathBytes: Int64) -> Bool {
        let headers = Int64(entries) * Int64(30 + 46) + 2 * pathBytes
        return entries <= maxEntries && bytes + headers + 22 + 40 <= maxOffset
    }

    /// The local header and data of a file at `path` holding `data`.
    mutating func file(path: String, data: Data) throws -> Data {
        let name = Data(path.utf8)
        let deflated = try ZlibStream(.rawDeflate(level: ZlibStream.defaultLevel)).finish(data)
        let (method, stored): (UInt16, Data) = deflated.count < data.count ? (8, deflated) : (0, data)
        let crc = CRC32.checksum(data)
        guard count < ZipWriter.maxEntries, name.count <= 0xFFFF,
              offset + Int64(30 + name.count + stored.count) <= ZipWriter.maxOffset else {
            throw ZipWriter.tooLarge
        }
        // The fields the local header and the central directory record share, in the same order: version
        // needed (2.0), flags (bit 11: the name is UTF-8), method, time, date, CRC-32, sizes, name and
        // extra field lengths.
        var shared = Data()
        shared.append(le16: 20)
        shared.append(le16: 0x0800)
        shared.append(le16: method)
        shared.append(le16: dosTime)
        shared.append(le16: dosDate)
        shared.append(le32: crc)
        shared.append(le32: UInt32(stored.count))
        shared.append(le32: UInt32(data.count))
        shared.append(le16: UInt16(name.count))
        shared.append(le16: 0)

        var local = Data()
        local.append(le32: 0x0403_4B50)
        local.append(shared)
        local.append(name)

        directory.append(le32: 0x0201_4B50)
        // Made by Unix (3), zip 2.0, so the mode in the external attributes is read.
        directory.append(le16: 3 << 8 | 20)
        directory.append(shared)
        // Comment length, starting disk, internal attributes.
        directory.append(le16: 0)
        directory.append(le16: 0)
        directory.append(le16: 0)
        directory.append(le32: UInt32(0o100644) << 16)
        directory.append(le32: UInt32(offset))
        directory.append(name)

        count += 1
        offset += Int64(local.count + stored.count)
        return local + stored
    }

    /// The central directory and its end record, with `comment` (the commit id) as the archive comment.
    func end(comment: String) throws -> Data {
        let text = Data(comment.utf8)
        guard offset + Int64(directory.count) <= ZipWriter.maxOffset, text.count <= 0xFFFF else {
            throw ZipWriter.tooLarge
        }
        var tail = directory
        tail.append(le32: 0x0605_4B50)
        tail.append(le16: 0)
        tail.append(le16: 0)
        tail.append(le16: UInt16(count))
        tail.append(le16: UInt16(count))
        tail.append(le32: UInt32(directory.count))
        tail.append(le32: UInt32(offset))
        tail.append(le16: UInt16(text.count))
        tail.append(text)
        return tail
    }
}

extension Data {
    /// Appends `value` as two little-endian bytes, as zip's fields are laid out.
    fileprivate mutating func append(le16 value: UInt16) {
        append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)])
    }

    /// Appends `value` as four little-endian bytes.
    fileprivate mutating func append(le32 value: UInt32) {
        append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)])
    }
}
