internal import CZlib
import Foundation

/// gzip compression through zlib, for objects stored with `Content-Encoding: gzip`.
enum Gzip {
    /// `data` as a gzip member (header, deflate stream, CRC32 trailer).
    static func compress(_ data: Data, level: Int32 = Z_DEFAULT_COMPRESSION) throws -> Data {
        let stream = try ZStream(mode: .deflate(level: level))
        return try stream.run(data, finish: Z_FINISH)
    }

    /// The bytes inside a gzip (or zlib) stream; throws if it is truncated or corrupt.
    static func decompress(_ data: Data) throws -> Data {
        let stream = try ZStream(mode: .inflate)
        return try stream.run(data, finish: Z_NO_FLUSH)
    }
}

/// Owns one zlib stream and ends it in `deinit`, so an error midway cannot leak zlib's buffers.
private final class ZStream {
    enum Mode {
        case deflate(level: Int32)
        case inflate
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let mode: Mode

    init(mode: Mode) throws {
        self.mode = mode
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status: Int32
        switch mode {
        case .deflate(let level): status = folio_deflate_init_gzip(stream, level)
        case .inflate: status = folio_inflate_init_gzip(stream)
        }
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw Self.error(status, function: mode.isDeflate ? "deflateInit2" : "inflateInit2", stream: nil)
        }
    }

    deinit {
        // Ending a stream abandoned after an error reports Z_DATA_ERROR by design; the memory
        // is released either way, and that error was already thrown.
        switch mode {
        case .deflate: _ = deflateEnd(stream)
        case .inflate: _ = inflateEnd(stream)
        }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Feeds all of `input` and collects the output until zlib reports the stream's end.
    func run(_ input: Data, finish: Int32) throws -> Data {
        var output = Data()
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(raw.count)
            while true {
                let (status, produced) = buffer.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status: Int32
                    switch mode {
                    case .deflate: status = deflate(stream, finish)
                    case .inflate: status = inflate(stream, finish)
                    }
                    return (status, out.count - Int(stream.pointee.avail_out))
                }
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where produced > 0:
                    continue
                case Z_BUF_ERROR:
                    // No progress with all input consumed: the stream ended early.
                    throw Self.error(Z_DATA_ERROR, function: mode.isDeflate ? "deflate" : "inflate", stream: stream, detail: "truncated gzip data")
                default:
                    throw Self.error(status, function: mode.isDeflate ? "deflate" : "inflate", stream: stream)
                }
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return output
    }

    private static func error(_ status: Int32, function: String, stream: UnsafeMutablePointer<z_stream>?, detail: String? = nil) -> S3Error {
        let reason = detail ?? stream?.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        return S3Error(code: status == Z_DATA_ERROR ? .invalidResponse : .internalFailure, message: "\(function) failed: \(reason)")
    }
}

extension ZStream.Mode {
    fileprivate var isDeflate: Bool {
        if case .deflate = self { return true }
        return false
    }
}
