import FolioSupport
import Foundation

/// One line of a file's version with the revision that last changed it.
public struct BlameLine: Sendable, Equatable {
    /// The line's number in the version blamed, from 1.
    public var line: Int
    /// The line's text without its line break.
    public var text: String
    /// The revision that introduced the line as it reads now.
    public var revision: Revision
}

/// Every line of one version of a file with the revision that last changed it: `DocumentStore.blame`.
public struct Blame: Sendable, Equatable {
    /// The file.
    public var fileKey: String
    /// The revision blamed.
    public var commit: ObjectID
    /// Its lines, in order.
    public var lines: [BlameLine]
    /// How many older versions were read to attribute every line (for measurement: the walk stops as soon
    /// as each line has its revision).
    public var versionsRead: Int
}
