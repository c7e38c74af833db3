/// The changed tokens of a word diff, in bounded time.
///
/// First the whole token sequences go through `MyersDiff` (a shortest edit script). That is linear in
/// space and near-linear in time for real edits, but not for all: two long texts that share only common
/// words, or a document with most of its lines reordered, cost it up to quadratic time. So its work is counted against a limit, and past it the
/// diff is done by lines instead, against a second limit: lines are numbered by their tokens and diffed
/// with `MyersDiff` (far fewer elements), then each block of changed lines is diffed word by word with a limit
/// proportional to its size, or, for a block too large or too costly, line pair by line pair; what the
/// second limit no longer covers is shown removed and added whole. The total work is at most the two
/// limits plus work linear in the input.
enum TokenDiff {
    /// Steps (each about one to two nanoseconds) the exact pass may take for `tokens` tokens in all: enough
    /// for any ordinary edit and for heavy rewrites of documents up to a few hundred kilobytes; for 5 MB
    /// (three million tokens), about 50 million.
    static func exactLimit(tokens: Int) -> Int { 40_000_000 + 4 * tokens }
    /// Steps the fallback may take after that.
    static func fallbackLimit(tokens: Int) -> Int { 20_000_000 + 4 * tokens }

    /// Steps allowed for one block of changed lines, and for one pair of lines, by size in tokens.
    static func blockLimit(tokens: Int) -> Int { 100_000 + 8 * tokens }
    static func pairLimit(tokens: Int) -> Int { 1_000 + 8 * tokens }

    /// Which old tokens were removed and which new tokens were added. The limits default to the above.
    static func changes(_ tokens: WordTokens, exactLimit: Int? = nil, fallbackLimit: Int? = nil) -> (old: ChangeMarks, new: ChangeMarks) {
        let size = tokens.oldCount + tokens.newCount
        let workspace = DiffWorkspace()
        var budget = DiffBudget(limit: exactLimit ?? Self.exactLimit(tokens: size))
        let exact = tokens.oldIDs.withUnsafeBufferPointer { old in
            tokens.newIDs.withUnsafeBufferPointer { new in
                MyersDiff.diff(old, new, workspace: workspace, budget: &budget)
            }
        }
        if exact { return (workspace.oldMarks, workspace.newMarks) }
        var total = DiffBudget(limit: fallbackLimit ?? Self.fallbackLimit(tokens: size))
        return byLines(tokens, workspace: workspace, total: &total)
    }

    /// The fallback: lines first, then words within the changed lines.
    private static func byLines(_ tokens: WordTokens, workspace: DiffWorkspace, total: inout DiffBudget) -> (old: ChangeMarks, new: ChangeMarks) {
        let oldLines = lineStarts(tokens.oldIDs, tokens.flags), newLines = lineStarts(tokens.newIDs, tokens.flags)
        let (oldLineIDs, newLineIDs, _) = numberLines(tokens, oldLines, newLines)
        let lineWorkspace = DiffWorkspace()
        var lineBudget = DiffBudget(limit: remaining(total) / 2)
        let lineMarks = oldLineIDs.withUnsafeBufferPointer { old in
            newLineIDs.withUnsafeBufferPointer { new in
                MyersDiff.diff(old, new, workspace: lineWorkspace, budget: &lineBudget)
                    ? (old: lineWorkspace.oldMarks, new: lineWorkspace.newMarks) : allBetweenCommonEnds(old, new)
            }
        }
        total.spent += lineBudget.spent

        // A block this large is most of what the exact pass already found too costly: go by line pairs.
        let largestBlock = (tokens.oldCount + tokens.newCount) / 4
        var oldMarks = ChangeMarks(count: tokens.oldCount), newMarks = ChangeMarks(count: tokens.newCount)
        tokens.oldIDs.withUnsafeBufferPointer { old in
            tokens.newIDs.withUnsafeBufferPointer { new in
                /// Diffs old tokens `range1` with new tokens `range2` within `limit` (and what is left of the
                /// total), marking the result; false if it ran out.
                func diffTokens(_ range1: Range<Int>, _ range2: Range<Int>, limit: Int) -> Bool {
                    if range1.isEmpty || range2.isEmpty {
                        oldMarks.mark(range1)
                        newMarks.mark(range2)
                        return true
                    }
                    // Not worth starting once the total is (nearly) spent.
                    guard remaining(total) > MyersDiff.callCost + range1.count + range2.count else { return false }
                    var budget = DiffBudget(limit: min(limit, remaining(total)))
                    let complete = MyersDiff.diff(
                        UnsafeBufferPointer(rebasing: old[range1]), UnsafeBufferPointer(rebasing: new[range2]), workspace: workspace,
                        budget: &budget)
                    total.spent += budget.spent
                    guard complete else { return false }
                    for index in 0..<range1.count where workspace.oldMarks[index] { oldMarks[range1.lowerBound + index] = true }
                    for index in 0..<range2.count where workspace.newMarks[index] { newMarks[range2.lowerBound + index] = true }
                    return true
                }

                var line1 = 0, line2 = 0
                let lineCount1 = oldLines.count - 1, lineCount2 = newLines.count - 1
                while line1 < lineCount1 || line2 < lineCount2 {
                    guard lineMarks.old[line1] || lineMarks.new[line2] else {
                        line1 += 1
                        line2 += 1
                        continue
                    }
                    var end1 = line1, end2 = line2
                    while lineMarks.old[end1] { end1 += 1 }
                    while lineMarks.new[end2] { end2 += 1 }
                    let range1 = Int(oldLines[line1])..<Int(oldLines[end1]), range2 = Int(newLines[line2])..<Int(newLines[end2])
                    let size = range1.count + range2.count
                    if size > largestBlock || !diffTokens(range1, range2, limit: blockLimit(tokens: size)) {
                        // Line by line, in order, then the lines left over.
                        let pairs = min(end1 - line1, end2 - line2)
                        for pair in 0..<pairs {
                            let pair1 = Int(oldLines[line1 + pair])..<Int(oldLines[line1 + pair + 1])
                            let pair2 = Int(newLines[line2 + pair])..<Int(newLines[line2 + pair + 1])
                            if !diffTokens(pair1, pair2, limit: pairLimit(tokens: pair1.count + pair2.count)) {
                                oldMarks.mark(pair1)
                                newMarks.mark(pair2)
                            }
                        }
                        oldMarks.mark(Int(oldLines[line1 + pairs])..<range1.upperBound)
                        newMarks.mark(Int(newLines[line2 + pairs])..<range2.upperBound)
                    }
                    line1 = end1
                    line2 = end2
                }
                MyersDiff.compact(old, &oldMarks)
                MyersDiff.compact(new, &newMarks)
            }
        }
        return (oldMarks, newMarks)
    }

    private static func remaining(_ budget: DiffBudget) -> Int { max(0, budget.limit - budget.spent) }

    /// Token indices where lines start (a line ends after a token holding a line break), then the token count.
    private static func lineStarts(_ ids: [Int32], _ flags: [UInt8]) -> [Int32] {
        var starts: [Int32] = [0]
        for (index, id) in ids.enumerated() where flags[Int(id)] & WordTokens.newlineFlag != 0 && index + 1 < ids.count {
            starts.append(Int32(index + 1))
        }
        if !ids.isEmpty { starts.append(Int32(ids.count)) }
        return starts
    }

    /// Numbers lines by their tokens: equal token numbers, equal line number.
    private static func numberLines(_ tokens: WordTokens, _ oldLines: [Int32], _ newLines: [Int32]) -> (old: [Int32], new: [Int32], count: Int) {
        let all = tokens.oldIDs + tokens.newIDs
        let offset = Int32(tokens.oldCount)
        // Byte offsets of each line into `all`'s storage.
        let oldStarts = oldLines.map { $0 * 4 }, newStarts = newLines.map { ($0 + offset) * 4 }
        var interner = ByteStringInterner(expected: oldLines.count + newLines.count)
        let (old, new) = all.withUnsafeBytes { bytes in (interner.intern(bytes, oldStarts), interner.intern(bytes, newStarts)) }
        return (old, new, interner.count)
    }

    /// Every element changed except a common prefix and suffix.
    private static func allBetweenCommonEnds(_ old: UnsafeBufferPointer<Int32>, _ new: UnsafeBufferPointer<Int32>) -> (old: ChangeMarks, new: ChangeMarks) {
        let shorter = min(old.count, new.count)
        var start = 0
        while start < shorter && old[start] == new[start] { start += 1 }
        var tail = 0
        while tail < shorter - start && old[old.count - 1 - tail] == new[new.count - 1 - tail] { tail += 1 }
        var oldMarks = ChangeMarks(count: old.count), newMarks = ChangeMarks(count: new.count)
        oldMarks.mark(start..<(old.count - tail))
        newMarks.mark(start..<(new.count - tail))
        return (oldMarks, newMarks)
    }
}
