import FolioSupport
import Foundation

/// gzip compression through zlib, for objects stored with `Content-Encoding: gzip`.
enum Gzip {
    /// `data` as a gzip member (header, deflate stream, CRC32 trailer).
    static func compress(_ data: Data, level: Int32 = ZlibStream.defaultLevel) throws -> Data {
        do {
            return try ZlibStream(.gzip(level: level)).finish(data)
        } catch let error as ZlibError {
            throw S3Error(code: .internalFailure, message: error.description)
        }
    }

    /// The bytes inside a gzip (or zlib) stream; throws if it is truncated or corrupt.
    static func decompress(_ data: Data) throws -> Data {
        do {
            return try ZlibStream(.inflate).finish(data)
        } catch let error as ZlibError {
            // Bad bytes came from the server; anything else is zlib failing here.
            throw S3Error(code: error.isDataError ? .invalidResponse : .internalFailure, message: error.description)
        }
    }
}
