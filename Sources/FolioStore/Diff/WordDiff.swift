internal import FolioGit
import FolioSupport
import Foundation

/// A word-level diff: the texts split into words, runs of spaces and single punctuation marks, diffed as
/// sequences by libgit2 (each token on its own line), then joined back into runs.
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
        segments.map { segment in
            switch segment.op {
            case "delete": return "[-\(segment.text)-]"
            case "insert": return "{+\(segment.text)+}"
            default: return segment.text
            }
        }.joined()
    }

    /// Diffs `old` against `new` word by word.
    public static func between(_ old: String, _ new: String) throws -> WordDiff {
        let oldTokens = tokenize(old), newTokens = tokenize(new)
        // One token a line; line breaks inside white-space tokens are encoded so they stay one token.
        let encode: ([String]) -> String = { tokens in
            tokens.map { $0.replacingOccurrences(of: "\n", with: "\u{1}") + "\n" }.joined()
        }
        let patch = try TextPatch.between(encode(oldTokens), encode(newTokens), path: "words", contextLines: 0)
        var segments: [Segment] = []
        var additions = 0, deletions = 0
        func append(_ op: String, _ token: String) {
            if let last = segments.last, last.op == op {
                segments[segments.count - 1].text += token
            } else {
                segments.append(Segment(op: op, text: token))
            }
        }
        var nextOld = 0
        for hunk in patch.hunks {
            let equalUntil = hunk.oldLines == 0 ? hunk.oldStart : hunk.oldStart - 1
            while nextOld < equalUntil { append("equal", oldTokens[nextOld]); nextOld += 1 }
            for line in hunk.lines {
                switch line.origin {
                case "-":
                    let token = oldTokens[(line.oldLine ?? 1) - 1]
                    if !isSpace(token) { deletions += 1 }
                    append("delete", token)
                    nextOld = line.oldLine ?? nextOld
                case "+":
                    let token = newTokens[(line.newLine ?? 1) - 1]
                    if !isSpace(token) { additions += 1 }
                    append("insert", token)
                default:
                    break
                }
            }
        }
        while nextOld < oldTokens.count { append("equal", oldTokens[nextOld]); nextOld += 1 }
        return WordDiff(segments: segments, additions: additions, deletions: deletions)
    }

    static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var currentKind = 0  // 1 word, 2 space
        for character in text {
            let kind = character.isLetter || character.isNumber || character == "_" ? 1 : (character.isWhitespace ? 2 : 3)
            if kind == 3 {
                if !current.isEmpty { tokens.append(current); current = "" }
                tokens.append(String(character))
                currentKind = 0
            } else if kind == currentKind {
                current.append(character)
            } else {
                if !current.isEmpty { tokens.append(current) }
                current = String(character)
                currentKind = kind
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private static func isSpace(_ token: String) -> Bool { token.allSatisfy(\.isWhitespace) }
}
