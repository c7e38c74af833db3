import FolioStore

/// The rows of a compare page, from a line comparison: unchanged stretches folded to a few lines of
/// context around each change (unless unfolded), changed lines paired old with new and their changed
/// words marked, at most `limit` rows from `skip` on. Only the rows shown are word-diffed, so a huge
/// diff costs its line comparison plus one page of rows.
struct CompareRows {
    /// Lines of context kept around a change when a stretch is folded.
    static let context = 3
    /// Rows on one page.
    static let limit = 1500

    /// A piece of a line: `mark` when it is a changed word.
    struct Part {
        var text: String
        var mark: Bool
    }

    /// One side of a side-by-side row. `kind` is `same`, `del`, `ins` or `empty`.
    struct Cell {
        var no: String
        var kind: String
        var parts: [Part]
    }

    /// A folded stretch and the link that unfolds it.
    struct Fold {
        /// The stretch's first new line index: its anchor, and its name in `unfold=`.
        var id: Int
        var count: Int
        var href: String
    }

    struct SplitRow {
        var fold: Fold?
        var left: Cell?
        var right: Cell?
    }

    struct InlineRow {
        var fold: Fold?
        var oldNo: String
        var newNo: String
        var kind: String
        var sign: String
        var parts: [Part]
    }

    /// What a row will show, before its words are compared.
    private enum Entry {
        case same(old: Int, new: Int)
        case fold(id: Int, count: Int)
        /// One pair of a changed block: an old line, a new line, or both; `show` says which side the row
        /// is (inline rows show one side, marked against the other).
        case change(old: Int?, new: Int?, show: Side)
    }

    private enum Side {
        case both, old, new
    }

    var split: [SplitRow] = []
    var inline: [InlineRow] = []
    /// Rows in the whole comparison (folded), for paging.
    var total = 0

    /// - Parameters:
    ///   - unfolded: ids of stretches to show whole (an id is the stretch's first new line index), or nil
    ///     for all.
    ///   - foldHref: the link that unfolds stretch `id`.
    init(_ comparison: LineComparison, inline wantInline: Bool, unfolded: Set<Int>?, skip: Int, foldHref: (Int) -> String) {
        var entries: [Entry] = []
        let blocks = comparison.blocks
        for (index, block) in blocks.enumerated() {
            switch block {
            case let .same(old, new, count):
                let lead = index == 0 ? 0 : CompareRows.context
                let trail = index == blocks.count - 1 ? 0 : CompareRows.context
                if count <= lead + trail + 1 || unfolded == nil || unfolded!.contains(new) {
                    for offset in 0..<count { entries.append(.same(old: old + offset, new: new + offset)) }
                } else {
                    for offset in 0..<lead { entries.append(.same(old: old + offset, new: new + offset)) }
                    entries.append(.fold(id: new, count: count - lead - trail))
                    for offset in (count - trail)..<count { entries.append(.same(old: old + offset, new: new + offset)) }
                }
            case let .changed(old, new):
                if wantInline {
                    // Inline: the removed lines, then the added ones; each still paired for word marks.
                    for offset in 0..<old.count {
                        entries.append(.change(old: old.lowerBound + offset, new: offset < new.count ? new.lowerBound + offset : nil, show: .old))
                    }
                    for offset in 0..<new.count {
                        entries.append(.change(old: offset < old.count ? old.lowerBound + offset : nil, new: new.lowerBound + offset, show: .new))
                    }
                } else {
                    for offset in 0..<max(old.count, new.count) {
                        entries.append(.change(
                            old: offset < old.count ? old.lowerBound + offset : nil, new: offset < new.count ? new.lowerBound + offset : nil, show: .both))
                    }
                }
            }
        }
        total = entries.count
        let window = entries.dropFirst(skip).prefix(CompareRows.limit)
        for entry in window {
            switch entry {
            case let .same(old, new):
                let parts = [Part(text: comparison.newLines.line(new), mark: false)]
                if wantInline {
                    inline.append(InlineRow(fold: nil, oldNo: "\(old + 1)", newNo: "\(new + 1)", kind: "same", sign: " ", parts: parts))
                } else {
                    split.append(SplitRow(fold: nil, left: Cell(no: "\(old + 1)", kind: "same", parts: parts), right: Cell(no: "\(new + 1)", kind: "same", parts: parts)))
                }
            case let .fold(id, count):
                let fold = Fold(id: id, count: count, href: foldHref(id))
                if wantInline {
                    inline.append(InlineRow(fold: fold, oldNo: "", newNo: "", kind: "fold", sign: "", parts: []))
                } else {
                    split.append(SplitRow(fold: fold, left: nil, right: nil))
                }
            case let .change(old, new, show):
                let oldText = old.map { comparison.oldLines.line($0) }, newText = new.map { comparison.newLines.line($0) }
                let (oldParts, newParts) = CompareRows.words(oldText, newText)
                if show == .old, let old {
                    inline.append(InlineRow(fold: nil, oldNo: "\(old + 1)", newNo: "", kind: "del", sign: "−", parts: oldParts))
                } else if show == .new, let new {
                    inline.append(InlineRow(fold: nil, oldNo: "", newNo: "\(new + 1)", kind: "ins", sign: "+", parts: newParts))
                } else {
                    split.append(SplitRow(
                        fold: nil,
                        left: old.map { Cell(no: "\($0 + 1)", kind: "del", parts: oldParts) } ?? Cell(no: "", kind: "empty", parts: []),
                        right: new.map { Cell(no: "\($0 + 1)", kind: "ins", parts: newParts) } ?? Cell(no: "", kind: "empty", parts: [])))
                }
            }
        }
    }

    /// The two lines' parts with their changed words marked; a line without a partner is shown whole.
    static func words(_ old: String?, _ new: String?) -> (old: [Part], new: [Part]) {
        guard let old, let new else {
            return (old.map { [Part(text: $0, mark: false)] } ?? [], new.map { [Part(text: $0, mark: false)] } ?? [])
        }
        guard let diff = try? WordDiff.between(old, new) else { return ([Part(text: old, mark: false)], [Part(text: new, mark: false)]) }
        var oldParts: [Part] = [], newParts: [Part] = []
        for segment in diff.segments {
            switch segment.op {
            case "delete": oldParts.append(Part(text: segment.text, mark: true))
            case "insert": newParts.append(Part(text: segment.text, mark: true))
            default:
                oldParts.append(Part(text: segment.text, mark: false))
                newParts.append(Part(text: segment.text, mark: false))
            }
        }
        return (oldParts, newParts)
    }
}
