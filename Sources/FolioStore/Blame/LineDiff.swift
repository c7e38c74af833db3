/// A text's lines as UTF-8 bytes and where each line starts: what line comparisons work on. Splitting on
/// the newline byte and comparing bytes costs a fraction of splitting a `String` into `Substring`s, which
/// walks grapheme clusters, and hashing those, which normalises them.
public struct LineText: Sendable {
    let bytes: [UInt8]
    /// Where each line starts, then the end: line `i` is `bytes[starts[i]..<starts[i + 1]]`, its line
    /// break included. A final line break ends the last line rather than starting an empty one.
    let starts: [Int32]

    /// The lines of `text`.
    public init(_ text: String) {
        bytes = Array(text.utf8)
        var starts: [Int32] = [0]
        bytes.withUnsafeBufferPointer { buffer in
            for index in 0..<buffer.count where buffer[index] == UInt8(ascii: "\n") { starts.append(Int32(index + 1)) }
        }
        if starts.last! != Int32(bytes.count) { starts.append(Int32(bytes.count)) }
        self.starts = starts
    }

    /// How many lines there are.
    public var count: Int { starts.count - 1 }

    /// Line `index` (from 0) without its line break.
    public func line(_ index: Int) -> String {
        var end = Int(starts[index + 1])
        if end > Int(starts[index]) && bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        return String(decoding: bytes[Int(starts[index])..<end], as: UTF8.self)
    }
}

/// Which lines of two texts changed, by Myers' algorithm over line numbers (equal lines, equal number):
/// the line-level comparison blame walks history with and the compare view is drawn from.
struct LineDiff {
    /// Steps one comparison may take before it gives up and treats every line between the common prefix
    /// and suffix as changed (attributing too much to a revision, never too little).
    static let limit = 20_000_000

    private let workspace = DiffWorkspace()

    /// For each line of `new`, nil when it was added, else the index of the `old` line it continues.
    func origins(old: LineText, new: LineText) -> [Int?] {
        // Lines are numbered in one buffer holding both texts, so equal lines of either get one number.
        let combined = old.bytes + new.bytes
        let offset = Int32(old.bytes.count)
        var interner = ByteStringInterner(expected: old.count + new.count)
        let (oldIDs, newIDs) = combined.withUnsafeBytes { buffer in
            (interner.intern(buffer, old.starts), interner.intern(buffer, new.starts.map { $0 + offset }))
        }
        var budget = DiffBudget(limit: Self.limit)
        let complete = oldIDs.withUnsafeBufferPointer { oldBuffer in
            newIDs.withUnsafeBufferPointer { newBuffer in
                MyersDiff.diff(oldBuffer, newBuffer, workspace: workspace, budget: &budget)
            }
        }
        var origins = [Int?](repeating: nil, count: new.count)
        if complete {
            // Unchanged lines pair up in order.
            var oldIndex = 0
            for newIndex in 0..<new.count where !workspace.newMarks[newIndex] {
                while workspace.oldMarks[oldIndex] { oldIndex += 1 }
                origins[newIndex] = oldIndex
                oldIndex += 1
            }
            return origins
        }
        let shorter = min(old.count, new.count)
        var prefix = 0
        while prefix < shorter && oldIDs[prefix] == newIDs[prefix] {
            origins[prefix] = prefix
            prefix += 1
        }
        var suffix = 0
        while suffix < shorter - prefix && oldIDs[old.count - 1 - suffix] == newIDs[new.count - 1 - suffix] {
            origins[new.count - 1 - suffix] = old.count - 1 - suffix
            suffix += 1
        }
        return origins
    }
}
