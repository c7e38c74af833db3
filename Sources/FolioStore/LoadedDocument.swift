import FolioSupport
import Foundation

/// A file's version as a reader gets it, with where it came from.
public struct LoadedDocument: Sendable, Equatable {
    /// Where the bytes were read.
    public enum Source: String, Sendable, Codable {
        /// The git repository (the normal case).
        case git
        /// The mirror, because git could not serve the file.
        case mirror
        /// The old system's database content, for files never saved through Folio.
        case database
    }

    /// The file's key.
    public var fileKey: String
    /// The document text.
    public var content: String
    /// The envelope's metadata.
    public var metadata: [String: JSONValue]
    /// `prd` or `implementation`.
    public var type: String
    /// The commit of this version (nil for legacy content).
    public var commit: ObjectID?
    /// Who saved this version.
    public var updatedBy: String?
    /// When.
    public var updatedAt: Date?
    /// Where it was read.
    public var source: Source

    /// The envelope as the mirror and git hold it.
    public var envelope: Envelope { Envelope(content: content, metadata: metadata, type: type) }
}
