/// Splits a Markdown document into parts of about `limit` bytes for the file page, so a 5 MB document is
/// rendered and sent a part at a time instead of as megabytes of HTML.
///
/// A part ends only at a blank line outside a fenced code block, so no paragraph, table or code block is
/// cut in two (a list or a quote longer than a part may continue in the next one; a document without
/// blank lines stays one part).
enum MarkdownParts {
    static let defaultLimit = 256 * 1024

    static func split(_ text: String, limit: Int = defaultLimit) -> [Substring] {
        let bytes = text.utf8
        guard bytes.count > limit else { return [text[...]] }
        var parts: [Substring] = []
        var partStart = text.startIndex
        var lineStart = bytes.startIndex
        var inFence = false
        var partBytes = 0
        while lineStart < bytes.endIndex {
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n"))
            let lineEnd = newline ?? bytes.endIndex
            let next = newline.map { bytes.index(after: $0) } ?? bytes.endIndex
            let line = bytes[lineStart..<lineEnd]
            partBytes += bytes.distance(from: lineStart, to: next)
            if isFence(line) {
                inFence.toggle()
            } else if !inFence, partBytes >= limit, line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }),
                      next < bytes.endIndex {
                parts.append(text[partStart..<next])
                partStart = next
                partBytes = 0
            }
            lineStart = next
        }
        parts.append(text[partStart...])
        return parts
    }

    /// A line that opens or closes a fenced code block: up to three spaces, then ``` or ~~~.
    private static func isFence(_ line: Substring.UTF8View.SubSequence) -> Bool {
        let trimmed = line.drop { $0 == UInt8(ascii: " ") }
        guard line.count - trimmed.count <= 3 else { return false }
        return trimmed.starts(with: "```".utf8) || trimmed.starts(with: "~~~".utf8)
    }
}
