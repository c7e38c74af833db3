import FolioSupport
import Foundation

/// Where the current version of each file is published for other readers: a local folder or S3.
/// The mirror is derived from git and can be rebuilt (`folio mirror sync`).
public protocol Mirror: Sendable {
    /// A short description for logs and status, e.g. `local ./data/media/projects`.
    var description: String { get }
    /// Publishes `envelope` as the current version of `key`.
    func put(_ key: FileKey, envelope: Data, commit: ObjectID, author: String) throws
    /// Removes `key`; removing an absent key is not an error.
    func remove(_ key: FileKey) throws
    /// The published bytes of `key`, or nil when there are none.
    func read(_ key: FileKey) throws -> Data?
    /// Throws a clear error when the mirror cannot be written (for readiness checks and start-up).
    func check() throws
    /// Every file key the mirror holds (for verification).
    func listKeys() throws -> [String]
    /// Whether the mirror holds `key` at `commit` (nil: it holds nothing for the key). `envelope` gives the
    /// expected bytes for mirrors that can only compare contents.
    func holds(_ key: FileKey, commit: ObjectID, envelope: () throws -> Data) throws -> Bool?
    /// Makes every write so far durable. The outbox forgets a write only after this returns, so a mirror
    /// may defer durability to here and pay for one flush per round of writes instead of one per file.
    func sync() throws
    /// How many files the worker writes at once.
    var writeConcurrency: Int { get }
}

extension Mirror {
    /// Network-bound mirrors (S3) gain from several writes in flight.
    public var writeConcurrency: Int { 8 }

    /// Mirrors whose writes are durable when they return (S3) have nothing to flush.
    public func sync() throws {}
}
