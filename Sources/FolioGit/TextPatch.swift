internal import CGit2
import FolioSupport
import Foundation

/// A line diff of two texts, as libgit2 computes it: the unified patch plus its hunks for structured output.
public struct TextPatch: Sendable, Equatable {
    /// One line of a hunk.
    public typealias Line = DiffLine
    /// A run of changed lines with its context.
    public typealias Hunk = DiffHunk

    /// The unified diff text (empty when the texts are equal).
    public var unified: String
    /// Lines added.
    public var additions: Int
    /// Lines removed.
    public var deletions: Int
    /// The hunks, for JSON output.
    public var hunks: [Hunk]

    /// Diffs `old` against `new`, labelling both sides with `path` (libgit2 adds the `a/` and `b/` prefixes).
    public static func between(_ old: String, _ new: String, path: String, contextLines: Int = 3) throws -> TextPatch {
        _ = Libgit2.ready
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.context_lines = UInt32(contextLines)
        // Documents are text even when they contain odd bytes; never collapse them to "Binary files differ".
        options.flags = GIT_DIFF_FORCE_TEXT.rawValue
        // The patch keeps pointers into both buffers (libgit2 does not copy them), so they must stay
        // alive until the patch is freed: everything below runs inside these closures.
        let oldBytes = Array(old.utf8)
        let newBytes = Array(new.utf8)
        return try oldBytes.withUnsafeBufferPointer { oldBuffer in
            try newBytes.withUnsafeBufferPointer { newBuffer in
                var patch: OpaquePointer?
                try check(
                    git_patch_from_buffers(&patch, oldBuffer.baseAddress, oldBuffer.count, path, newBuffer.baseAddress, newBuffer.count, path, &options),
                    "git_patch_from_buffers")
                defer { git_patch_free(patch) }
                return try read(patch!)
            }
        }
    }

    /// Copies a patch's text, counts and hunks into Swift values.
    private static func read(_ patch: OpaquePointer) throws -> TextPatch {

        var context = 0, additions = 0, deletions = 0
        try check(git_patch_line_stats(&context, &additions, &deletions, patch), "git_patch_line_stats")

        var buffer = git_buf()
        try check(git_patch_to_buf(&buffer, patch), "git_patch_to_buf")
        defer { git_buf_dispose(&buffer) }
        let unified = buffer.size > 0 ? String(decoding: UnsafeRawBufferPointer(start: buffer.ptr, count: buffer.size), as: UTF8.self) : ""

        var hunks: [Hunk] = []
        for hunkIndex in 0..<git_patch_num_hunks(patch) {
            var hunkPointer: UnsafePointer<git_diff_hunk>?
            var lineCount = 0
            try check(git_patch_get_hunk(&hunkPointer, &lineCount, patch, hunkIndex), "git_patch_get_hunk")
            guard let hunk = hunkPointer?.pointee else { continue }
            let header = withUnsafeBytes(of: hunk.header) { raw in
                String(decoding: raw.prefix(Int(hunk.header_len)), as: UTF8.self)
            }.trimmingCharacters(in: .newlines)
            var lines: [Line] = []
            for lineIndex in 0..<lineCount {
                var linePointer: UnsafePointer<git_diff_line>?
                try check(git_patch_get_line_in_hunk(&linePointer, patch, hunkIndex, lineIndex), "git_patch_get_line_in_hunk")
                guard let line = linePointer?.pointee else { continue }
                let origin = Character(UnicodeScalar(UInt8(bitPattern: line.origin)))
                guard origin == " " || origin == "+" || origin == "-" else { continue }
                var text = line.content_len > 0
                    ? String(decoding: UnsafeRawBufferPointer(start: line.content, count: line.content_len), as: UTF8.self) : ""
                if text.hasSuffix("\n") { text.removeLast() }
                lines.append(Line(
                    origin: String(origin),
                    oldLine: line.old_lineno > 0 ? Int(line.old_lineno) : nil,
                    newLine: line.new_lineno > 0 ? Int(line.new_lineno) : nil,
                    text: text))
            }
            hunks.append(Hunk(
                header: header, oldStart: Int(hunk.old_start), oldLines: Int(hunk.old_lines),
                newStart: Int(hunk.new_start), newLines: Int(hunk.new_lines), lines: lines))
        }
        return TextPatch(unified: unified, additions: additions, deletions: deletions, hunks: hunks)
    }
}
