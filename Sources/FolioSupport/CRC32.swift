internal import CZlib
import Foundation

/// The CRC-32 that zip and gzip store beside each file's data, from zlib.
public enum CRC32 {
    /// The checksum of `data`, continuing from `previous` (0 to start).
    public static func checksum(_ data: Data, continuing previous: UInt32 = 0) -> UInt32 {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> UInt32 in
            guard var address = raw.bindMemory(to: Bytef.self).baseAddress else { return previous }
            var value = uLong(previous)
            var remaining = raw.count
            // zlib takes a 32-bit length; larger inputs go in pieces.
            while remaining > 0 {
                let piece = min(remaining, Int(UInt32.max))
                value = crc32(value, address, uInt(piece))
                address += piece
                remaining -= piece
            }
            return UInt32(truncatingIfNeeded: value)
        }
    }
}
