/// Two texts compared line by line, as blocks of unchanged and changed lines: what a side-by-side or
/// inline view of a diff is drawn from. Unlike a unified patch it keeps every line, so a view can fold
/// long unchanged stretches and unfold them on request.
public struct LineComparison: Sendable {
    /// A run of lines.
    public enum Block: Sendable, Equatable {
        /// `count` lines equal in both texts, from `old` and `new` (0-based line indices).
        case same(old: Int, new: Int, count: Int)
        /// Old lines `old` replaced by new lines `new` (either may be empty).
        case changed(old: Range<Int>, new: Range<Int>)
    }

    /// The old text's lines.
    public var oldLines: LineText
    /// The new text's lines.
    public var newLines: LineText
    /// The blocks, in order; together they cover every line of both texts.
    public var blocks: [Block]

    /// Compares `old` with `new`.
    public static func between(_ old: String, _ new: String) -> LineComparison {
        let oldLines = LineText(old), newLines = LineText(new)
        let origins = LineDiff().origins(old: oldLines, new: newLines)
        var blocks: [Block] = []
        var oldIndex = 0, newIndex = 0
        while newIndex < newLines.count || oldIndex < oldLines.count {
            if newIndex < newLines.count, let origin = origins[newIndex], origin == oldIndex {
                var count = 0
                while newIndex + count < newLines.count, origins[newIndex + count] == oldIndex + count { count += 1 }
                blocks.append(.same(old: oldIndex, new: newIndex, count: count))
                oldIndex += count
                newIndex += count
                continue
            }
            // Up to the next unchanged pair: old lines before its origin were removed, new ones without an
            // origin were added.
            var newEnd = newIndex
            while newEnd < newLines.count, origins[newEnd] == nil { newEnd += 1 }
            let oldEnd = newEnd < newLines.count ? origins[newEnd]! : oldLines.count
            blocks.append(.changed(old: oldIndex..<oldEnd, new: newIndex..<newEnd))
            oldIndex = oldEnd
            newIndex = newEnd
        }
        return LineComparison(oldLines: oldLines, newLines: newLines, blocks: blocks)
    }
}
