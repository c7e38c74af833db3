/// Which lines of two texts changed, by Myers' algorithm over line numbers (equal lines, equal number):
/// the line-level comparison blame walks history with.
struct LineDiff {
    /// Steps one comparison may take before it gives up and treats every line between the common prefix
    /// and suffix as changed (attributing too much to a revision, never too little).
    static let limit = 20_000_000

    private var numbers: [Substring: Int32] = [:]
    private let workspace = DiffWorkspace()

    /// The text's lines without their line breaks; a final line break ends the last line rather than
    /// starting an empty one.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// For each line of `new`, nil when it was added, else the index of the `old` line it continues.
    mutating func origins(old: [Substring], new: [Substring]) -> [Int?] {
        let oldIDs = old.map { number($0) }, newIDs = new.map { number($0) }
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

    private mutating func number(_ line: Substring) -> Int32 {
        if let known = numbers[line] { return known }
        let next = Int32(numbers.count)
        numbers[line] = next
        return next
    }
}
