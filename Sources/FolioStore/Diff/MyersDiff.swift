/// Work spent by a diff, counted in steps (a diagonal advanced or a pair of elements compared), against a
/// limit: past it the diff gives up and the caller falls back to something cheaper.
struct DiffBudget {
    var spent = 0
    var limit: Int

    init(limit: Int) { self.limit = limit }

    var exhausted: Bool { spent > limit }
}

/// Memory that successive diffs share, so that many small diffs (line pairs) do not each allocate: the
/// search's diagonal vectors, its stack of pending boxes, and the last call's result.
final class DiffWorkspace {
    /// The last successful `MyersDiff.diff`'s result.
    var oldMarks = ChangeMarks(count: 0)
    var newMarks = ChangeMarks(count: 0)
    fileprivate var boxes: [MyersDiff.Box] = []
    private var vectorStorage: UnsafeMutablePointer<Int32>
    private var vectorCapacity = 0

    init() {
        vectorStorage = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    }

    deinit { vectorStorage.deallocate() }

    /// At least `count` entries of uninitialised memory for the diagonal vectors. The search writes an
    /// entry before it reads it and only visits diagonals near the ones it starts from, so for a large
    /// input with few changes only a few pages of this are ever touched.
    func vectors(_ count: Int) -> UnsafeMutablePointer<Int32> {
        if count > vectorCapacity {
            vectorStorage.deallocate()
            vectorCapacity = max(count, vectorCapacity * 2)
            vectorStorage = UnsafeMutablePointer<Int32>.allocate(capacity: vectorCapacity)
        }
        return vectorStorage
    }
}

/// Which elements of a sequence changed (true) or stayed (false), stored with an unchanged flag before the
/// first and after the last element, so scans may look one element past either end.
struct ChangeMarks {
    /// `count + 2` flags: `storage[i + 1]` is element `i`'s.
    var storage: [UInt8]

    init(count: Int) { storage = [UInt8](repeating: 0, count: count + 2) }

    /// All `count` elements unchanged, reusing the storage.
    mutating func reset(count: Int) {
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: repeatElement(0, count: count + 2))
    }

    var count: Int { storage.count - 2 }

    subscript(index: Int) -> Bool {
        get { storage[index + 1] != 0 }
        set { storage[index + 1] = newValue ? 1 : 0 }
    }

    /// Marks `range` changed.
    mutating func mark(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        storage.withUnsafeMutableBufferPointer { buffer in
            for index in range { buffer[index + 1] = 1 }
        }
    }
}

/// A shortest edit script between two sequences of element numbers, by Eugene Myers' algorithm ("An O(ND)
/// Difference Algorithm and Its Variations", Algorithmica 1986), in its linear-space form.
///
/// Picture the edit graph: old elements along x, new ones along y; from each point (x, y) a step right
/// deletes old[x], a step down inserts new[y], and when old[x] == new[y] a free diagonal step keeps both.
/// A shortest edit script is a path from (0, 0) to (N, M) with the fewest non-diagonal steps, D. Points are
/// grouped by diagonal k = x - y. The greedy search keeps, per diagonal, the furthest point reachable with
/// d non-diagonal steps: for d + 1 it extends each from a neighbouring diagonal by one step, then follows
/// the diagonal ("snake") while elements match. Searching from both corners at once (the backward search
/// keeps the point closest to the start), the two meet on some diagonal after about D/2 steps each; the
/// forward (or backward) snake where they meet lies on a shortest path, so the problem splits into the box
/// before it and the box after it, each about half as costly, and those are solved the same way.
///
/// Memory is two vectors of diagonals plus a stack of boxes, linear in the input. Time is O((N + M) · D)
/// in the worst case and close to linear for few changes; every step is counted against a `DiffBudget`
/// and when it runs out `diff` returns false. Before each split the box sheds its common prefix and suffix.
/// Afterwards `compact` moves each block of changes to a canonical place (see there).
enum MyersDiff {
    /// Steps charged for a call besides one per element (clearing its marks), so many tiny diffs still count.
    static let callCost = 100
    /// Steps charged for visiting one diagonal in one round of the search (besides the elements compared).
    static let diagonalCost = 2

    /// A part of the edit graph still to solve: old elements `x0..<x1` against new elements `y0..<y1`.
    struct Box {
        var x0: Int, x1: Int, y0: Int, y1: Int
    }

    /// A diagonal run of matching elements, from (startX, startY) to (endX, endY), box-relative.
    private struct Snake {
        var startX: Int, startY: Int, endX: Int, endY: Int
    }

    /// Diffs `old` against `new`, leaving which elements changed in `workspace.oldMarks` and
    /// `workspace.newMarks`; false if the budget ran out first (the marks are then meaningless).
    static func diff(
        _ old: UnsafeBufferPointer<Int32>, _ new: UnsafeBufferPointer<Int32>, workspace: DiffWorkspace, budget: inout DiffBudget
    ) -> Bool {
        let count1 = old.count, count2 = new.count
        var marks1 = ChangeMarks(count: 0), marks2 = ChangeMarks(count: 0)
        swap(&marks1, &workspace.oldMarks)
        swap(&marks2, &workspace.newMarks)
        defer {
            swap(&marks1, &workspace.oldMarks)
            swap(&marks2, &workspace.newMarks)
        }
        marks1.reset(count: count1)
        marks2.reset(count: count2)
        budget.spent += callCost + count1 + count2
        if budget.exhausted { return false }
        guard count1 > 0, count2 > 0 else {
            marks1.mark(0..<count1)
            marks2.mark(0..<count2)
            return true
        }

        // One forward and one backward vector, each indexed by diagonal -M...N of the box being solved.
        let span = count1 + count2 + 1
        let vectors = workspace.vectors(2 * span)
        var boxes = workspace.boxes
        boxes.removeAll(keepingCapacity: true)
        defer { workspace.boxes = boxes }
        boxes.append(Box(x0: 0, x1: count1, y0: 0, y1: count2))
        let a = old.baseAddress!, b = new.baseAddress!

        while var box = boxes.popLast() {
            // Shed the common prefix and suffix.
            let before = box.x0 + box.x1
            while box.x0 < box.x1 && box.y0 < box.y1 && a[box.x0] == b[box.y0] {
                box.x0 += 1
                box.y0 += 1
            }
            while box.x0 < box.x1 && box.y0 < box.y1 && a[box.x1 - 1] == b[box.y1 - 1] {
                box.x1 -= 1
                box.y1 -= 1
            }
            budget.spent += 1 + box.x0 - (before - box.x1)
            if box.x0 == box.x1 || box.y0 == box.y1 {
                marks1.mark(box.x0..<box.x1)
                marks2.mark(box.y0..<box.y1)
                continue
            }
            let n = box.x1 - box.x0, m = box.y1 - box.y0
            guard
                let snake = middleSnake(
                    a + box.x0, n, b + box.y0, m, forward: vectors + m, backward: vectors + span + m, budget: &budget)
            else { return false }
            boxes.append(Box(x0: box.x0 + snake.endX, x1: box.x1, y0: box.y0 + snake.endY, y1: box.y1))
            boxes.append(Box(x0: box.x0, x1: box.x0 + snake.startX, y0: box.y0, y1: box.y0 + snake.startY))
        }
        compact(old, &marks1)
        compact(new, &marks2)
        return true
    }

    /// The middle snake of the box `a[0..<n]` against `b[0..<m]` (both non-empty): a snake on a shortest
    /// path such that the part before it and the part after it each need at most about half the edits.
    /// `forward[k]` and `backward[k]` must be usable for k in -m...n. Nil if the budget ran out.
    ///
    /// `forward[k]` is the largest x reached on diagonal k from (0, 0) with the current number of edits d;
    /// `backward[k]` the smallest x reached on diagonal k from (n, m) with d edits; -1 marks a diagonal that
    /// d edits cannot reach inside the box. Round d visits the diagonals -d, -d + 2, ..., d (forward) and
    /// delta - d, ..., delta + d (backward, delta = n - m), clipped to the box. When delta is odd a shortest
    /// path has an odd number of edits and the searches can first meet after a forward round; otherwise
    /// after a backward one.
    private static func middleSnake(
        _ a: UnsafePointer<Int32>, _ n: Int, _ b: UnsafePointer<Int32>, _ m: Int,
        forward: UnsafeMutablePointer<Int32>, backward: UnsafeMutablePointer<Int32>, budget: inout DiffBudget
    ) -> Snake? {
        let delta = n - m
        let oddDelta = delta & 1 != 0
        // Diagonals filled by the latest forward and backward rounds (empty ranges before the first).
        var forwardLow = 1, forwardHigh = 0
        var backwardLow = 1, backwardHigh = 0

        /// The diagonals of round d around `center`, inside the box, with the parity of center + d.
        func range(center: Int, _ d: Int) -> (low: Int, high: Int) {
            var low = max(center - d, -m), high = min(center + d, n)
            if (low - center - d) & 1 != 0 { low += 1 }
            if (high - center - d) & 1 != 0 { high -= 1 }
            return (low, high)
        }

        var d = 0
        while true {
            var work = 0

            // Forward round d.
            let (lowF, highF) = range(center: 0, d)
            var k = lowF
            while k <= highF {
                var x: Int
                if d == 0 {
                    x = 0
                } else {
                    x = -1
                    // A step right from diagonal k - 1 (deleting old[x]) ...
                    if k - 1 >= forwardLow && k - 1 <= forwardHigh {
                        let from = Int(forward[k - 1])
                        if from >= 0 && from < n { x = from + 1 }
                    }
                    // ... or down from diagonal k + 1 (inserting new[y]), whichever gets further. On a tie
                    // the step right wins, so deletions come before insertions on the path.
                    if k + 1 >= forwardLow && k + 1 <= forwardHigh {
                        let from = Int(forward[k + 1])
                        if from >= 0 && from - (k + 1) < m && from > x { x = from }
                    }
                }
                if x >= 0 {
                    let startX = x
                    var y = x - k
                    while x < n && y < m && a[x] == b[y] {
                        x += 1
                        y += 1
                    }
                    work += diagonalCost + x - startX
                    if oddDelta && k >= backwardLow && k <= backwardHigh {
                        let reached = Int(backward[k])
                        if reached >= 0 && x >= reached {
                            budget.spent += work
                            return Snake(startX: startX, startY: startX - k, endX: x, endY: x - k)
                        }
                    }
                }
                forward[k] = Int32(truncatingIfNeeded: x)
                k += 2
            }
            forwardLow = lowF
            forwardHigh = highF

            // Backward round d.
            let (lowB, highB) = range(center: delta, d)
            k = lowB
            while k <= highB {
                var x: Int
                if d == 0 {
                    x = n
                } else {
                    x = Int.max
                    // A step left from diagonal k + 1 ...
                    if k + 1 >= backwardLow && k + 1 <= backwardHigh {
                        let from = Int(backward[k + 1])
                        if from > 0 { x = from - 1 }
                    }
                    // ... or up from diagonal k - 1, whichever gets closer to the start. On a tie the step up
                    // (an insertion at the end of the path) wins, for the same order as forward.
                    if k - 1 >= backwardLow && k - 1 <= backwardHigh {
                        let from = Int(backward[k - 1])
                        if from >= 0 && from - (k - 1) > 0 && from <= x { x = from }
                    }
                    if x == Int.max { x = -1 }
                }
                if x >= 0 {
                    let endX = x
                    var y = x - k
                    while x > 0 && y > 0 && a[x - 1] == b[y - 1] {
                        x -= 1
                        y -= 1
                    }
                    work += diagonalCost + endX - x
                    if !oddDelta && k >= forwardLow && k <= forwardHigh {
                        let reached = Int(forward[k])
                        if reached >= 0 && reached >= x {
                            budget.spent += work
                            return Snake(startX: x, startY: x - k, endX: endX, endY: endX - k)
                        }
                    }
                }
                backward[k] = Int32(truncatingIfNeeded: x)
                k += 2
            }
            backwardLow = lowB
            backwardHigh = highB

            budget.spent += work
            if budget.exhausted { return nil }
            d += 1
        }
    }

    /// Moves each block of changed elements to a canonical place, without changing which elements stay:
    /// a block whose first element equals the unchanged element just after it can take that element's place
    /// (the same values stay, in the same order), so each block slides towards the end as long as it can,
    /// swallowing any block it runs into. Equally small diffs of repeated text thus come out the same way
    /// (`a a` to `a a a` adds the last `a`), and a block between blocks ends up joined to the later one.
    static func compact(_ elements: UnsafeBufferPointer<Int32>, _ marks: inout ChangeMarks) {
        let count = elements.count
        marks.storage.withUnsafeMutableBufferPointer { storage in
            let changed = storage.baseAddress! + 1
            var start = 0
            while start < count {
                guard changed[start] != 0 else {
                    start += 1
                    continue
                }
                var end = start + 1
                while end < count && changed[end] != 0 { end += 1 }
                // Block start..<end; slide while the element after it matches its first.
                while end < count && elements[end] == elements[start] {
                    changed[start] = 0
                    changed[end] = 1
                    start += 1
                    end += 1
                    while end < count && changed[end] != 0 { end += 1 }
                }
                start = end
            }
        }
    }
}
