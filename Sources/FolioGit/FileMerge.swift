internal import CGit2
import Foundation

/// A three-way merge of one text, as `git merge-file` does it.
public struct FileMerge: Sendable, Equatable {
    /// The merged text; with conflicts it holds git's conflict markers.
    public var text: String
    /// True when the two sides' edits did not overlap.
    public var isClean: Bool

    /// Merges the edits `base → ours` and `base → theirs`.
    ///
    /// Labels name the sides in conflict markers, e.g. `<<<<<<< current` / `>>>>>>> yours`.
    public static func merge(base: String, ours: String, theirs: String, ourLabel: String = "current", theirLabel: String = "yours") throws -> FileMerge {
        _ = Libgit2.ready
        let baseBytes = Array(base.utf8), ourBytes = Array(ours.utf8), theirBytes = Array(theirs.utf8)
        var options = git_merge_file_options()
        try check(git_merge_file_options_init(&options, UInt32(GIT_MERGE_FILE_OPTIONS_VERSION)), "git_merge_file_options_init")
        var result = git_merge_file_result()
        try baseBytes.withUnsafeBufferPointer { basePointer in
            try ourBytes.withUnsafeBufferPointer { ourPointer in
                try theirBytes.withUnsafeBufferPointer { theirPointer in
                    try "base".withCString { baseLabel in
                        try ourLabel.withCString { ourLabelPointer in
                            try theirLabel.withCString { theirLabelPointer in
                                var ancestor = try input(basePointer)
                                var mine = try input(ourPointer)
                                var other = try input(theirPointer)
                                options.ancestor_label = baseLabel
                                options.our_label = ourLabelPointer
                                options.their_label = theirLabelPointer
                                try check(git_merge_file(&result, &ancestor, &mine, &other, &options), "git_merge_file")
                            }
                        }
                    }
                }
            }
        }
        defer { git_merge_file_result_free(&result) }
        let text = result.len > 0 ? String(decoding: UnsafeRawBufferPointer(start: result.ptr, count: result.len), as: UTF8.self) : ""
        return FileMerge(text: text, isClean: result.automergeable != 0)
    }

    private static func input(_ bytes: UnsafeBufferPointer<UInt8>) throws -> git_merge_file_input {
        var input = git_merge_file_input()
        try check(git_merge_file_input_init(&input, UInt32(GIT_MERGE_FILE_INPUT_VERSION)), "git_merge_file_input_init")
        input.ptr = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        input.size = bytes.count
        input.mode = UInt32(GIT_FILEMODE_BLOB.rawValue)
        return input
    }
}
