import Foundation

/// A word-level diff: the texts split into words, runs of white space and single other characters, and
/// diffed as token sequences with Myers' algorithm (see `TokenDiff` and `MyersDiff`), then joined back
/// into runs. Linear in memory; time is near-linear for real edits and bounded for pathological ones.
public struct WordDiff: Sendable, Equatable {
    /// A run of tokens that is unchanged, removed or added.
    public struct Segment: Sendable, Equatable, Codable {
        /// `equal`, `delete` or `insert`.
        public var op: String
        /// The run's text.
        public var text: String
    }

    /// The runs, in order; joining the `equal` and `insert` runs gives the new text.
    public var segments: [Segment]
    /// Words added (tokens that are not white space).
    public var additions: Int
    /// Words removed.
    public var deletions: Int

    /// Git's `--word-diff=plain` layout: `[-removed-]{+added+}` inline.
    public var plain: String {
        var text = ""
        text.reserveCapacity(segments.reduce(0) { $0 + $1.text.utf8.count + 4 })
        for segment in segments {
            switch segment.op {
            case "delete": text += "[-"; text += segment.text; text += "-]"
            case "insert": text += "{+"; text += segment.text; text += "+}"
            default: text += segment.text
            }
        }
        return text
    }

    /// Diffs `old` against `new` word by word. Within a run of changes the removed tokens come first, then
    /// the added ones; runs are separated by at least one unchanged token.
    public static func between(_ old: String, _ new: String) throws -> WordDiff {
        between(old, new, exactLimit: nil)
    }

    /// `between` with an explicit limit on the exact pass (steps before the line-by-line fallback; nil for
    /// the default).
    static func between(_ old: String, _ new: String, exactLimit: Int?) -> WordDiff {
        let tokens = WordTokens(old: old, new: new)
        let (oldMarks, newMarks) = TokenDiff.changes(tokens, exactLimit: exactLimit)
        return tokens.bytes.withUnsafeBufferPointer { bytes in
            func text(_ starts: [Int32], _ range: Range<Int>) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(starts[range.lowerBound])..<Int(starts[range.upperBound])]), as: UTF8.self)
            }
            var segments: [Segment] = []
            var additions = 0, deletions = 0
            let oldCount = tokens.oldCount, newCount = tokens.newCount
            var oldIndex = 0, newIndex = 0
            while oldIndex < oldCount || newIndex < newCount {
                if oldMarks[oldIndex] || newMarks[newIndex] {
                    let oldStart = oldIndex, newStart = newIndex
                    while oldMarks[oldIndex] {
                        if tokens.flags[Int(tokens.oldIDs[oldIndex])] & WordTokens.spaceFlag == 0 { deletions += 1 }
                        oldIndex += 1
                    }
                    while newMarks[newIndex] {
                        if tokens.flags[Int(tokens.newIDs[newIndex])] & WordTokens.spaceFlag == 0 { additions += 1 }
                        newIndex += 1
                    }
                    if oldIndex > oldStart { segments.append(Segment(op: "delete", text: text(tokens.oldStarts, oldStart..<oldIndex))) }
                    if newIndex > newStart { segments.append(Segment(op: "insert", text: text(tokens.newStarts, newStart..<newIndex))) }
                } else {
                    let oldStart = oldIndex
                    while oldIndex < oldCount && newIndex < newCount && !oldMarks[oldIndex] && !newMarks[newIndex] {
                        oldIndex += 1
                        newIndex += 1
                    }
                    precondition(oldIndex > oldStart, "word diff: unchanged tokens out of step")
                    segments.append(Segment(op: "equal", text: text(tokens.oldStarts, oldStart..<oldIndex)))
                }
            }
            return WordDiff(segments: segments, additions: additions, deletions: deletions)
        }
    }
}
