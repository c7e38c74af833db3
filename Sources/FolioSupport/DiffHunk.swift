/// One line of a line diff's hunk: what FolioGit computes and FolioStore hands to its callers, one
/// type for both so the store's API needs no type of FolioGit's.
public struct DiffLine: Sendable, Equatable, Codable {
    /// `" "` context, `"+"` added, `"-"` removed.
    public var origin: String
    /// Line number in the old text (nil for added lines).
    public var oldLine: Int?
    /// Line number in the new text (nil for removed lines).
    public var newLine: Int?
    /// The line's text without its line break.
    public var text: String

    public init(origin: String, oldLine: Int?, newLine: Int?, text: String) {
        self.origin = origin
        self.oldLine = oldLine
        self.newLine = newLine
        self.text = text
    }
}

/// A run of changed lines with its context.
public struct DiffHunk: Sendable, Equatable, Codable {
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
    public var lines: [DiffLine]

    public init(header: String, oldStart: Int, oldLines: Int, newStart: Int, newLines: Int, lines: [DiffLine]) {
        self.header = header
        self.oldStart = oldStart
        self.oldLines = oldLines
        self.newStart = newStart
        self.newLines = newLines
        self.lines = lines
    }
}
