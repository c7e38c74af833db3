import FolioS3
import FolioSupport
import Foundation

/// The S3 mirror: each file's current envelope at `s3://{bucket}/{prefix}/{file_key}`, exactly where the
/// old system kept it, so every existing reader of the bucket keeps working. Objects carry the commit and
/// author as metadata (`x-amz-meta-folio-commit`, `x-amz-meta-folio-author`); envelopes above the gzip
/// threshold are stored compressed with `Content-Encoding: gzip`, which S3 clients and browsers undo.
public final class S3Mirror: PresigningMirror {
    let client: S3Client
    let prefix: String
    let gzipAbove: Int

    /// A mirror writing through `client` under `prefix`.
    public init(client: S3Client, prefix: String, gzipAbove: Int) {
        self.client = client
        self.prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.gzipAbove = gzipAbove
    }

    public var description: String {
        let configuration = client.configuration
        return "s3 s3://\(configuration.bucket)/\(prefix)/ at \(configuration.endpoint ?? "AWS \(configuration.region)")"
    }

    /// The object key of a file.
    public func objectKey(_ key: FileKey) -> String { prefix.isEmpty ? key.path : "\(prefix)/\(key.path)" }

    public func put(_ key: FileKey, envelope: Data, commit: ObjectID, author: String) throws {
        try mapped {
            try client.putObject(
                key: objectKey(key), body: envelope, contentType: "application/json",
                metadata: ["folio-commit": commit.hex, "folio-author": S3Mirror.headerSafe(author)], gzipAbove: gzipAbove)
        }
    }

    public func remove(_ key: FileKey) throws {
        try mapped { try client.deleteObject(key: objectKey(key)) }
    }

    public func read(_ key: FileKey) throws -> Data? {
        do {
            return try mapped { try client.getObject(key: objectKey(key)).body }
        } catch let error as MirrorError where error.s3Code == S3Error.Code.noSuchKey.rawValue {
            return nil
        }
    }

    /// Compares the commit recorded on the object with `commit` (a HEAD request, no download).
    public func holds(_ key: FileKey, commit: ObjectID, envelope: () throws -> Data) throws -> Bool? {
        try mapped { try client.headObject(key: objectKey(key)).map { $0.metadata["folio-commit"] == commit.hex } }
    }

    public func listKeys() throws -> [String] {
        var keys: [String] = []
        var token: String?
        let listPrefix = prefix.isEmpty ? "" : prefix + "/"
        repeat {
            let page = try mapped { try client.listObjects(prefix: listPrefix, continuationToken: token) }
            keys += page.keys.map { String($0.key.dropFirst(listPrefix.count)) }
            token = page.nextContinuationToken
        } while token != nil
        return keys
    }

    public func check() throws {
        try mapped { try client.headBucket() }
    }

    public func presignedURL(for key: FileKey, expires: Int, now: Date) throws -> String {
        try mapped { try client.presignedGetURL(key: objectKey(key), expires: expires, now: now) }
    }

    /// S3 metadata travels in HTTP headers, which must be ASCII: other names are percent-encoded.
    static func headerSafe(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) { return text }
        return text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as S3Error {
            throw MirrorError(message: "\(error)", retryable: error.isRetryable, s3Code: error.code.rawValue)
        }
    }
}

/// A mirror write that failed; `retryable` separates outages (retried with backoff) from configuration
/// problems such as a wrong secret or a missing bucket (reported, and retried only slowly).
public struct MirrorError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the object and the server.
    public var message: String
    /// True for outages worth retrying soon (5xx, throttling, timeouts, connection errors).
    public var retryable: Bool
    /// The S3 error code, when S3 gave one.
    public var s3Code: String?
    /// The message.
    public var description: String { message }
}

/// Stands in for a mirror that could not be set up (no bucket configured, no credentials), so the store
/// still opens, saves still reach git and the outbox, and every attempt reports the same clear reason.
struct UnavailableMirror: Mirror {
    let reason: String
    var description: String { "unavailable: \(reason)" }
    func put(_ key: FileKey, envelope: Data, commit: ObjectID, author: String) throws { throw failure }
    func remove(_ key: FileKey) throws { throw failure }
    func read(_ key: FileKey) throws -> Data? { throw failure }
    func check() throws { throw failure }
    func listKeys() throws -> [String] { throw failure }
    func holds(_ key: FileKey, commit: ObjectID, envelope: () throws -> Data) throws -> Bool? { throw failure }
    private var failure: MirrorError { MirrorError(message: reason, retryable: false, s3Code: nil) }
}
