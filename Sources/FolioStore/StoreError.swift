import FolioSupport
import Foundation

/// Every failure the store reports: a stable `code` the CLI and HTTP layers map in one place, a message
/// a person can act on, and optional details (the field at fault, the current version on a conflict).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible so new codes do not break callers that switch on the known ones.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's wire name, e.g. `invalid_input`.
        public let rawValue: String
        /// Wraps a wire name.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The wire name.
        public var description: String { rawValue }

        /// The request was malformed; nothing was written.
        public static let invalidInput = Code("invalid_input")
        /// The file, revision or commit does not exist.
        public static let notFound = Code("not_found")
        /// Overlapping edits against a stale base; nothing was written.
        public static let conflict = Code("conflict")
        /// The caller's precondition (If-Match) no longer holds.
        public static let preconditionFailed = Code("precondition_failed")
        /// The content is larger than the configured limit.
        public static let tooLarge = Code("too_large")
        /// A dependency (git, catalog, mirror) could not be reached or read.
        public static let unavailable = Code("unavailable")
        /// A signature is wrong or expired, or the caller may not do this.
        public static let forbidden = Code("forbidden")
        /// A bug or an unexpected state.
        public static let `internal` = Code("internal")
        /// The catalog file is damaged (not a database, or failing its integrity check); `folio reindex`
        /// moves it aside and rebuilds it from git.
        public static let catalogDamaged = Code("catalog_damaged")
        /// A file in git (or the mirror) is not a valid Folio envelope — committed around Folio, or
        /// damaged. The request was fine; the stored file cannot be read as a document (HTTP 422).
        public static let invalidDocument = Code("invalid_document")
    }

    /// The current version and the conflict text, carried by `.conflict` errors.
    public struct Conflict: Sendable, Equatable {
        /// The file's current commit.
        public var currentCommit: ObjectID?
        /// The file's current content.
        public var currentContent: String
        /// The file's current metadata.
        public var currentMetadata: JSONValue
        /// The merged text with conflict markers.
        public var conflictText: String
    }

    /// What kind of failure this was.
    public var code: Code
    /// A message that names the problem and, for bad input, what is allowed.
    public var message: String
    /// The input field at fault, where there is one.
    public var field: String?
    /// Present on `.conflict`.
    public var conflict: Conflict?
    /// The underlying error, kept for logs.
    public var cause: String?
    /// Where the error was raised, for logs.
    public var location: String

    /// Creates an error, recording where it was raised.
    public init(_ code: Code, _ message: String, field: String? = nil, conflict: Conflict? = nil, cause: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.field = field
        self.conflict = conflict
        self.cause = cause.map { String(describing: $0) }
        self.location = "\(file):\(line)"
    }

    /// The message, as a person reads it.
    public var description: String { message }

    /// Bad input in `field`; nothing was written.
    public static func invalid(_ field: String, _ message: String, file: String = #fileID, line: Int = #line) -> StoreError {
        StoreError(.invalidInput, message, field: field, file: file, line: line)
    }
}
