internal import CZlib
import Foundation

/// One zlib stream — gzip or raw deflate, or gzip/zlib inflate — fed in pieces, so a large output (an
/// archive of a project) is compressed as it is produced instead of after it was built in memory.
///
/// Owns the `z_stream` and ends it in `deinit`, so an error midway cannot leak zlib's buffers. Not
/// thread-safe: one task feeds a stream.
public final class ZlibStream {
    /// What the stream does.
    public enum Mode: Sendable {
        /// Deflate with a gzip header and CRC-32 trailer (a `.gz` file, `Content-Encoding: gzip`).
        case gzip(level: Int32)
        /// Deflate without header or trailer, as a zip entry holds its data.
        case rawDeflate(level: Int32)
        /// Inflate gzip or zlib data (the header says which).
        case inflate

        var isDeflate: Bool {
            if case .inflate = self { return false }
            return true
        }
    }

    /// zlib's default compression level.
    public static let defaultLevel: Int32 = Z_DEFAULT_COMPRESSION

    private let stream: UnsafeMutablePointer<z_stream>
    private let mode: Mode
    /// Set once zlib reported the end of the stream; nothing more may be fed.
    public private(set) var ended = false

    /// Opens a stream; throws when zlib cannot (no memory, a level out of range).
    public init(_ mode: Mode) throws {
        self.mode = mode
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status: Int32
        let function: String
        switch mode {
        case .gzip(let level):
            status = folio_deflate_init_gzip(stream, level)
            function = "deflateInit2"
        case .rawDeflate(let level):
            status = folio_deflate_init_raw(stream, level)
            function = "deflateInit2"
        case .inflate:
            status = folio_inflate_init_gzip(stream)
            function = "inflateInit2"
        }
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ZlibError(function: function, status: status, message: "zlib status \(status)")
        }
    }

    deinit {
        // Ending a stream abandoned after an error reports Z_DATA_ERROR by design; the memory is
        // released either way, and that error was already thrown.
        if mode.isDeflate { _ = deflateEnd(stream) } else { _ = inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Feeds `input`; returns what zlib wrote so far (deflate may hold bytes back until later input or
    /// `finish`; inflate returns all it could decode).
    public func update(_ input: Data) throws -> Data {
        try pump(input, finishing: false)
    }

    /// Feeds the last of the input and ends the stream: deflate writes everything it held and the
    /// trailer; inflate throws when the data ends before the stream does (truncated).
    public func finish(_ input: Data = Data()) throws -> Data {
        try pump(input, finishing: true)
    }

    /// Runs zlib over `input` until it is consumed and zlib has nothing more to write (or, when
    /// finishing, until the stream's end).
    private func pump(_ input: Data, finishing: Bool) throws -> Data {
        guard !ended else {
            throw ZlibError(function: mode.isDeflate ? "deflate" : "inflate", status: Z_STREAM_ERROR, message: "the stream has already ended")
        }
        // Inflate finds the end in the data itself; only deflate is told to finish.
        let flush = finishing && mode.isDeflate ? Z_FINISH : Z_NO_FLUSH
        let function = mode.isDeflate ? "deflate" : "inflate"
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(raw.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
            while true {
                let (status, produced, full) = buffer.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status = mode.isDeflate ? deflate(stream, flush) : inflate(stream, flush)
                    return (status, out.count - Int(stream.pointee.avail_out), stream.pointee.avail_out == 0)
                }
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    ended = true
                    return
                case Z_OK, Z_BUF_ERROR:
                    // A full buffer may have more behind it; unread input must be read.
                    if full || (stream.pointee.avail_in > 0 && produced > 0) { continue }
                    if stream.pointee.avail_in > 0, status == Z_OK { continue }
                    if !finishing { return }
                    if status == Z_BUF_ERROR && produced == 0 {
                        // No progress with all input consumed: the data ended before the stream did.
                        throw ZlibError(function: function, status: Z_DATA_ERROR, message: "truncated data: the stream ended early")
                    }
                    continue
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw ZlibError(function: function, status: status, message: reason)
                }
            }
        }
        return output
    }
}

/// A zlib call that failed, and why.
public struct ZlibError: Error, Sendable, CustomStringConvertible {
    /// The zlib function (`deflate`, `inflateInit2`, …).
    public var function: String
    /// zlib's status code.
    public var status: Int32
    /// zlib's message, or what Folio made of the status.
    public var message: String

    /// True when the input was not valid compressed data (corrupt or truncated), as opposed to a failure
    /// of zlib itself.
    public var isDataError: Bool { status == Z_DATA_ERROR }

    public var description: String { "\(function) failed: \(message)" }
}
