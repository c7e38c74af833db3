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

    /// One line of a hunk.
    public struct Line: Sendable, Equatable, Codable {
        /// `" "` context, `"+"` added, `"-"` removed.
        public var origin: String
        /// Line number in the old text (nil for added lines).
        public var oldLine: Int?
        /// Line number in the new text (nil for removed lines).
        public var newLine: Int?
        /// The line's text without its line break.
        public var text: String
    }

    /// A run of changed lines with its context.
    public struct Hunk: Sendable, Equatable, Codable {
        /// The `@@ -a,b +c,d @@` header.
        public var header: String
        /// First line in the old text.
        public var oldStart: Int
        /// Number of old lines.
        public var oldLines: Int
        /// First line in the new text.
        public var newStart: Int
        /// Number of new lines.
        public var newLines: Int
        /// The hunk's lines.
        public var lines: [Line]
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
    public var hunks: [Hunk]
    /// Word mode: the runs.
    public var segments: [WordDiff.Segment]
    /// Metadata keys that changed, sorted by key.
    public var metadataChanges: [MetadataChange]

    static func metadataChanges(_ old: [String: JSONValue], _ new: [String: JSONValue]) -> [MetadataChange] {
        Set(old.keys).union(new.keys).sorted().compactMap { key in
            old[key] == new[key] ? nil : MetadataChange(key: key, from: old[key], to: new[key])
        }
    }
}
