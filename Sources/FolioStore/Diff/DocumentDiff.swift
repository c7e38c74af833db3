import FolioSupport
import Foundation

/// The difference between two revisions of a file: its content text (not the JSON envelope) and its metadata.
public struct DocumentDiff: Sendable, Equatable {
    /// How the content was compared.
    public enum Mode: String, Sendable, Codable { case line, word }

    /// A metadata key whose value differs.
    public struct MetadataChange: Sendable, Equatable, Encodable {
        /// The key.
        public var key: String
        /// The value before (nil: absent).
        public var from: JSONValue?
        /// The value after (nil: removed).
        public var to: JSONValue?
    }

    /// The file.
    public var fileKey: String
    /// The older revision's commit.
    public var from: ObjectID
    /// The newer revision's commit.
    public var to: ObjectID
    /// Line or word mode.
    public var mode: Mode
    /// Line mode: the unified patch; word mode: git's `--word-diff=plain` text.
    public var text: String
    /// Lines (line mode) or words (word mode) added.
    public var additions: Int
    /// Lines or words removed.
    public var deletions: Int
    /// Line mode: the hunks.
    public var hunks: [DiffHunk]
    /// Word mode: the runs.
    public var segments: [WordDiff.Segment]
    /// Metadata keys that changed, sorted by key.
    public var metadataChanges: [MetadataChange]

    /// The metadata keys whose values differ between `old` and `new`, sorted by key.
    public static func metadataChanges(_ old: [String: JSONValue], _ new: [String: JSONValue]) -> [MetadataChange] {
        Set(old.keys).union(new.keys).sorted().compactMap { key in
            old[key] == new[key] ? nil : MetadataChange(key: key, from: old[key], to: new[key])
        }
    }
}
