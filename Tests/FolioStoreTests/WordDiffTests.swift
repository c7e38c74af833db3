@testable import FolioStore
import FolioSupport
import FolioTestSupport
import Foundation
import Testing

/// The word diff: tokenisation, the diff itself (Myers' algorithm; it replaced libgit2's line diff fed one
/// token per line), its bounded fallback for pathological inputs, and the store's limit on large diffs at once.
@Suite struct WordDiffTests {
    /// An input pair and what the libgit2-based implementation returned for it, captured before it was replaced.
    /// Three cases (the `alpha`/`beta` line swap, the two flags, the reversed letters) have several equally
    /// small diffs; they now pin the one `MyersDiff` picks, with the same counts and the same number of
    /// changed tokens as before.
    struct Pinned: Sendable {
        var old: String
        var new: String
        var additions: Int
        var deletions: Int
        var segments: [(String, String)]

        init(_ old: String, _ new: String, additions: Int, deletions: Int, segments: [(String, String)]) {
            self.old = old
            self.new = new
            self.additions = additions
            self.deletions = deletions
            self.segments = segments
        }
    }

    static let pinned: [Pinned] = [
        Pinned("", "", additions: 0, deletions: 0, segments: []),
        Pinned("", "hello world", additions: 2, deletions: 0, segments: [("insert", "hello world")]),
        Pinned("hello world", "", additions: 0, deletions: 2, segments: [("delete", "hello world")]),
        Pinned("same text\n", "same text\n", additions: 0, deletions: 0, segments: [("equal", "same text\n")]),
        Pinned("line one\nline two\n", "line one\nline 2\n", additions: 1, deletions: 1, segments: [("equal", "line one\nline "), ("delete", "two"), ("insert", "2"), ("equal", "\n")]),
        Pinned("# Goals\nShip the beta in May.\nKeep costs low.\n", "# Goals\nShip the beta in June.\nKeep costs low.\nHire two engineers.\n", additions: 5, deletions: 1, segments: [("equal", "# Goals\nShip the beta in "), ("delete", "May"), ("insert", "June"), ("equal", ".\nKeep costs low.\n"), ("insert", "Hire two engineers.\n")]),
        Pinned("the quick brown fox", "the slow brown fox", additions: 1, deletions: 1, segments: [("equal", "the "), ("delete", "quick"), ("insert", "slow"), ("equal", " brown fox")]),
        Pinned("the quick brown fox", "quick brown fox jumps", additions: 1, deletions: 1, segments: [("delete", "the "), ("equal", "quick brown fox"), ("insert", " jumps")]),
        Pinned("a b c d e", "a c e", additions: 0, deletions: 2, segments: [("equal", "a "), ("delete", "b "), ("equal", "c "), ("delete", "d "), ("equal", "e")]),
        Pinned("a a a", "a a a a", additions: 1, deletions: 0, segments: [("equal", "a a a"), ("insert", " a")]),
        Pinned("a a a a", "a a", additions: 0, deletions: 2, segments: [("equal", "a a"), ("delete", " a a")]),
        Pinned("x a b a b y", "x a b a b a b y", additions: 2, deletions: 0, segments: [("equal", "x a b a b "), ("insert", "a b "), ("equal", "y")]),
        Pinned("foo, bar; baz!", "foo; bar, baz?", additions: 3, deletions: 3, segments: [("equal", "foo"), ("delete", ","), ("insert", ";"), ("equal", " bar"), ("delete", ";"), ("insert", ","), ("equal", " baz"), ("delete", "!"), ("insert", "?")]),
        Pinned("one  two", "one two", additions: 0, deletions: 0, segments: [("equal", "one"), ("delete", "  "), ("insert", " "), ("equal", "two")]),
        Pinned("one\ttwo\n", "one two\n", additions: 0, deletions: 0, segments: [("equal", "one"), ("delete", "\t"), ("insert", " "), ("equal", "two\n")]),
        Pinned("alpha\n\nbeta\n", "alpha\nbeta\n\n", additions: 1, deletions: 1, segments: [("equal", "alpha"), ("insert", "\nbeta"), ("equal", "\n\n"), ("delete", "beta\n")]),
        Pinned("snake_case and camelCase", "snake_case or kebab-case", additions: 4, deletions: 2, segments: [("equal", "snake_case "), ("delete", "and"), ("insert", "or"), ("equal", " "), ("delete", "camelCase"), ("insert", "kebab-case")]),
        Pinned("version 1.2.3", "version 1.2.4", additions: 1, deletions: 1, segments: [("equal", "version 1.2."), ("delete", "3"), ("insert", "4")]),
        Pinned("price: $10", "price: €12", additions: 2, deletions: 2, segments: [("equal", "price: "), ("delete", "$10"), ("insert", "€12")]),
        Pinned("line one\r\nline two\r\n", "line one\r\nline 2\r\n", additions: 1, deletions: 1, segments: [("equal", "line one\r\nline "), ("delete", "two"), ("insert", "2"), ("equal", "\r\n")]),
        Pinned("a\r\nb", "a\nb", additions: 0, deletions: 0, segments: [("equal", "a"), ("delete", "\r\n"), ("insert", "\n"), ("equal", "b")]),
        Pinned("café au lait", "cafe au lait", additions: 1, deletions: 1, segments: [("delete", "café"), ("insert", "cafe"), ("equal", " au lait")]),
        Pinned("naïve résumé", "naive résumé", additions: 1, deletions: 1, segments: [("delete", "naïve"), ("insert", "naive"), ("equal", " résumé")]),
        Pinned("e\u{301}té", "été", additions: 1, deletions: 1, segments: [("delete", "e\u{301}té"), ("insert", "été")]),
        Pinned("日本語のテキスト", "日本語のテキスト、追加", additions: 2, deletions: 0, segments: [("equal", "日本語のテキスト"), ("insert", "、追加")]),
        Pinned("emoji 👍 here", "emoji 👎🏽 here", additions: 1, deletions: 1, segments: [("equal", "emoji "), ("delete", "👍"), ("insert", "👎🏽"), ("equal", " here")]),
        Pinned("family 👨\u{200d}👩\u{200d}👧 ok", "family 👨\u{200d}👩\u{200d}👧\u{200d}👦 ok", additions: 1, deletions: 1, segments: [("equal", "family "), ("delete", "👨\u{200d}👩\u{200d}👧"), ("insert", "👨\u{200d}👩\u{200d}👧\u{200d}👦"), ("equal", " ok")]),
        Pinned("flags 🇫🇷🇩🇪", "flags 🇩🇪🇫🇷", additions: 1, deletions: 1, segments: [("equal", "flags "), ("insert", "🇩🇪"), ("equal", "🇫🇷"), ("delete", "🇩🇪")]),
        Pinned("tab\tand\u{a0}nbsp", "tab and nbsp", additions: 0, deletions: 0, segments: [("equal", "tab"), ("delete", "\t"), ("insert", " "), ("equal", "and"), ("delete", "\u{a0}"), ("insert", " "), ("equal", "nbsp")]),
        Pinned("- [ ] task one\n- [x] task two\n", "- [x] task one\n- [ ] task two\n- [ ] task three\n", additions: 6, deletions: 1, segments: [("equal", "- ["), ("delete", " "), ("insert", "x"), ("equal", "] task one\n- ["), ("delete", "x"), ("insert", " "), ("equal", "] task two\n"), ("insert", "- [ ] task three\n")]),
        Pinned("The cat sat on the mat. The dog sat on the log.", "The dog sat on the mat. The cat sat on the log.", additions: 2, deletions: 2, segments: [("equal", "The "), ("delete", "cat"), ("insert", "dog"), ("equal", " sat on the mat. The "), ("delete", "dog"), ("insert", "cat"), ("equal", " sat on the log.")]),
        Pinned("a b c d e f g h i j", "j i h g f e d c b a", additions: 9, deletions: 9, segments: [("delete", "a"), ("insert", "j i"), ("equal", " "), ("delete", "b"), ("insert", "h"), ("equal", " "), ("delete", "c"), ("insert", "g"), ("equal", " "), ("delete", "d"), ("insert", "f"), ("equal", " e "), ("delete", "f"), ("insert", "d"), ("equal", " "), ("delete", "g"), ("insert", "c"), ("equal", " "), ("delete", "h"), ("insert", "b"), ("equal", " "), ("delete", "i j"), ("insert", "a")]),
        Pinned("## Scope\n\nIn scope: checkout, payments.\nOut of scope: refunds.\n", "## Scope\n\nIn scope: checkout, payments, refunds.\nOut of scope: gift cards.\n\n## Risks\n", additions: 7, deletions: 1, segments: [("equal", "## Scope\n\nIn scope: checkout, payments"), ("insert", ", refunds"), ("equal", ".\nOut of scope: "), ("delete", "refunds"), ("insert", "gift cards"), ("equal", "."), ("insert", "\n\n## Risks"), ("equal", "\n")]),
        Pinned("{+braces+} and [-brackets-]", "{+braces+} or [-brackets-]", additions: 1, deletions: 1, segments: [("equal", "{+braces+} "), ("delete", "and"), ("insert", "or"), ("equal", " [-brackets-]")]),
        Pinned("   leading and trailing   ", "leading and trailing", additions: 0, deletions: 0, segments: [("delete", "   "), ("equal", "leading and trailing"), ("delete", "   ")]),
        Pinned("\n\n\n", "\n\n", additions: 0, deletions: 0, segments: [("delete", "\n\n\n"), ("insert", "\n\n")]),
        Pinned("word", "word\n", additions: 0, deletions: 0, segments: [("equal", "word"), ("insert", "\n")]),
        Pinned("1 2 3 4 5 6 7 8 9 10", "1 2 3 4 5 six 7 8 9 10 11", additions: 2, deletions: 1, segments: [("equal", "1 2 3 4 5 "), ("delete", "6"), ("insert", "six"), ("equal", " 7 8 9 10"), ("insert", " 11")]),
        Pinned("The same word the same word the same word.", "The same word the other word the same word.", additions: 1, deletions: 1, segments: [("equal", "The same word the "), ("delete", "same"), ("insert", "other"), ("equal", " word the same word.")]),
    ]

    @Test(arguments: pinned.indices) func matchesTheFormerLibgit2Output(_ index: Int) throws {
        let case_ = Self.pinned[index]
        let diff = try WordDiff.between(case_.old, case_.new)
        #expect(diff.segments.map { [$0.op, $0.text] } == case_.segments.map { [$0.0, $0.1] })
        #expect(diff.additions == case_.additions)
        #expect(diff.deletions == case_.deletions)
        let plain = case_.segments.map { op, text in
            op == "delete" ? "[-\(text)-]" : op == "insert" ? "{+\(text)+}" : text
        }.joined()
        #expect(diff.plain == plain)
        try expectRebuilds(diff, case_.old, case_.new)
    }

    @Test func aLineBreakIsNotTheSameTokenAsControlCharacterOne() throws {
        // The libgit2 version encoded line breaks inside tokens as U+0001, so "\n" and "\u{1}" compared equal.
        let diff = try WordDiff.between("x\u{1}y", "x\ny")
        #expect(diff.segments.map { [$0.op, $0.text] } == [["equal", "x"], ["delete", "\u{1}"], ["insert", "\n"], ["equal", "y"]])
        #expect(diff.plain == "x[-\u{1}-]{+\n+}y")
    }

    @Test func emptyAndIdenticalInputs() throws {
        #expect(try WordDiff.between("", "") == WordDiff(segments: [], additions: 0, deletions: 0))
        let same = try WordDiff.between("one two\r\n", "one two\r\n")
        #expect(same.segments.map(\.op) == ["equal"] && same.plain == "one two\r\n" && same.additions == 0)
        let added = try WordDiff.between("", "new text\n")
        #expect(added.segments.map(\.op) == ["insert"] && added.additions == 2 && added.deletions == 0)
        let removed = try WordDiff.between("old text", "")
        #expect(removed.plain == "[-old text-]" && removed.deletions == 2)
    }

    @Test func crlfAndUnicodeStayWholeCharacters() throws {
        let crlf = try WordDiff.between("alpha\r\nbeta\r\n", "alpha\r\ngamma\r\n")
        #expect(crlf.plain == "alpha\r\n[-beta-]{+gamma+}\r\n")
        // A combining accent belongs to its letter; an emoji ZWJ sequence and a flag are one character each.
        let accents = try WordDiff.between("re\u{301}sume\u{301} ok", "resume ok")
        #expect(accents.segments.map { [$0.op, $0.text] } == [["delete", "re\u{301}sume\u{301}"], ["insert", "resume"], ["equal", " ok"]])
        let emoji = try WordDiff.between("team 👩‍👩‍👧 🇫🇷 done", "team 👩‍👩‍👧‍👦 🇫🇷 done")
        #expect(emoji.plain == "team [-👩‍👩‍👧-]{+👩‍👩‍👧‍👦+} 🇫🇷 done")
        let cjk = try WordDiff.between("計画書、第一版。", "計画書、第二版。")
        #expect(cjk.plain == "計画書、[-第一版-]{+第二版+}。" && cjk.additions == 1 && cjk.deletions == 1)
        let spaces = try WordDiff.between("a\u{a0}b\u{3000}c", "a b c")
        #expect(spaces.additions == 0 && spaces.deletions == 0)
        try expectRebuilds(spaces, "a\u{a0}b\u{3000}c", "a b c")
    }

    @Test func tokensAreExactlyWhatCharacterIterationGives() {
        // The tokenizer classifies ASCII and common scripts from tables; it must split exactly as iterating
        // `Character`s does, including around combining marks, joiners, prepended marks, jamo and flags.
        let pool = ["a", "Z", "_", "7", " ", "\t", "\n", "\r", "\r\n", ".", "-", "\u{1}", "\u{7f}", "é", "e\u{301}", "\u{301}",
                    "ñ", "ß", "\u{ad}", "\u{a0}", "\u{3000}", "\u{2028}", "\u{200b}", "\u{200c}", "\u{200d}", "\u{fe0f}", "日",
                    "。", "、", "\u{3099}", "\u{302a}", "カ", "ｶ", "\u{ff9e}", "한", "\u{1100}", "\u{1161}", "\u{11a8}", "👍", "🏽",
                    "🇫", "🇷", "\u{600}", "\u{645}", "\u{915}", "\u{94d}", "\u{937}", "\u{e33}", "Ω", "ж", "\u{483}", "€", "—",
                    "\u{20e3}", "#", "\u{1f600}", "²", "½", "\u{2160}", "ﬁ", "\u{fffd}"]
        var random = SeededRandom(seed: 7)
        for _ in 0..<3000 {
            let text = (0..<Int(random.next() % 30)).map { _ in pool[Int(random.next() % UInt64(pool.count))] }.joined()
            let tokens = WordTokens(old: text, new: "")
            let split = (0..<tokens.oldCount).map { index in
                String(decoding: tokens.bytes[Int(tokens.oldStarts[index])..<Int(tokens.oldStarts[index + 1])], as: UTF8.self)
            }
            #expect(split == Self.referenceTokens(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func segmentsRebuildBothTextsForRandomEdits() throws {
        var random = SeededRandom(seed: 42)
        let vocabulary = ["the", "plan", "scope", " ", "  ", "\n", "\n\n", ".", ",", "é", "e\u{301}", "\r\n", "\t", "x_y", "42",
                          "👍", "日本", "-", "[", "+}"]
        for round in 0..<400 {
            var tokens = (0..<Int(random.next() % 80)).map { _ in vocabulary[Int(random.next() % UInt64(vocabulary.count))] }
            let old = tokens.joined()
            for _ in 0..<Int(random.next() % 8) {
                let position = Int(random.next() % UInt64(tokens.count + 1))
                switch random.next() % 3 {
                case 0: tokens.insert(vocabulary[Int(random.next() % UInt64(vocabulary.count))], at: position)
                case 1: if position < tokens.count { tokens.remove(at: position) }
                default: if position < tokens.count { tokens[position] = vocabulary[Int(random.next() % UInt64(vocabulary.count))] }
                }
            }
            let new = tokens.joined()
            // Every other round with a tiny work limit, so the line-by-line fallback is exercised too.
            let diff = round % 2 == 0 ? try WordDiff.between(old, new) : WordDiff.between(old, new, exactLimit: Int(random.next() % 2000))
            try expectRebuilds(diff, old, new)
        }
    }

    @Test func editScriptsAreMinimal() {
        // On random small sequences over small alphabets (many ties and repeats), the edit script's size
        // (elements removed plus elements added) equals the edit distance from a plain dynamic program, and
        // the unchanged elements of both sides are the same sequence.
        var random = SeededRandom(seed: 5)
        let workspace = DiffWorkspace()
        for round in 0..<3000 {
            let alphabet = Int32(1 + random.next() % UInt64(round % 7 + 1))
            let old = (0..<Int(random.next() % 40)).map { _ in Int32(random.next() % UInt64(alphabet)) }
            var new = old
            if round % 3 == 0 {
                new = (0..<Int(random.next() % 40)).map { _ in Int32(random.next() % UInt64(alphabet)) }
            } else {
                for _ in 0..<Int(random.next() % 10) {
                    let position = Int(random.next() % UInt64(new.count + 1))
                    if random.next() % 2 == 0 || position == new.count {
                        new.insert(Int32(random.next() % UInt64(alphabet)), at: position)
                    } else {
                        new.remove(at: position)
                    }
                }
            }
            var budget = DiffBudget(limit: Int.max / 2)
            let complete = old.withUnsafeBufferPointer { a in
                new.withUnsafeBufferPointer { b in MyersDiff.diff(a, b, workspace: workspace, budget: &budget) }
            }
            #expect(complete)
            let removed = old.indices.filter { workspace.oldMarks[$0] }, added = new.indices.filter { workspace.newMarks[$0] }
            #expect(removed.count + added.count == Self.editDistance(old, new), "\(old) \(new)")
            let kept1 = old.indices.filter { !workspace.oldMarks[$0] }.map { old[$0] }
            let kept2 = new.indices.filter { !workspace.newMarks[$0] }.map { new[$0] }
            #expect(kept1 == kept2, "\(old) \(new)")
        }
    }

    @Test func anExhaustedBudgetStopsTheDiff() {
        // Two unrelated sequences need about n² steps; a small budget makes `diff` give up instead.
        var random = SeededRandom(seed: 9)
        let old = (0..<20_000).map { _ in Int32(random.next() % 1000) }, new = (0..<20_000).map { _ in Int32(random.next() % 1000) }
        var budget = DiffBudget(limit: 200_000)
        let complete = old.withUnsafeBufferPointer { a in
            new.withUnsafeBufferPointer { b in MyersDiff.diff(a, b, workspace: DiffWorkspace(), budget: &budget) }
        }
        #expect(!complete)
        #expect(budget.spent < 400_000, "stops soon after the limit")
    }

    @Test func fallbackKeepsLineLevelResultsReadable() throws {
        // With no budget for the exact pass, unchanged lines stay unchanged and a changed line is diffed word by word.
        let old = "# Plan\nShip in May.\nKeep costs low.\nHire two.\n"
        let new = "# Plan\nShip in June.\nKeep costs low.\nHire three.\n"
        let diff = WordDiff.between(old, new, exactLimit: 0)
        #expect(diff.plain == "# Plan\nShip in [-May-]{+June+}.\nKeep costs low.\nHire [-two-]{+three+}.\n")
        try expectRebuilds(diff, old, new)
    }

    @Test func fiveMegabyteDocumentsAreDiffed() throws {
        let lines = Self.document(bytes: 5 * 1024 * 1024)
        var edited = lines
        for index in stride(from: 501, to: edited.count, by: 7001) { edited[index] = "Replaced line \(index)." }
        edited.append("Appended.")
        let old = lines.joined(separator: "\n") + "\n", new = edited.joined(separator: "\n") + "\n"
        let diff = try WordDiff.between(old, new)
        try expectRebuilds(diff, old, new)
        // Each replaced line: its words out, "Replaced line N" in (the spaces and the period still match).
        let replaced = Array(stride(from: 501, to: lines.count, by: 7001))
        #expect(diff.additions == replaced.count * 3 + 2)
        #expect(diff.deletions == replaced.map { Self.wordCount(lines[$0]) - 1 }.reduce(0, +))
        let inserted = diff.segments.filter { $0.op == "insert" }.map(\.text)
        for index in replaced { #expect(inserted.contains(String(index))) }
        #expect(diff.segments.last?.op == "insert" && diff.segments.last?.text == "Appended.\n")
    }

    @Test func pathologicalInputsFallBackAndStayCorrect() throws {
        // Lines reordered wholesale: far too costly for the exact pass, so the bounded fallback answers.
        let lines = Self.document(bytes: 512 * 1024)
        var random = SeededRandom(seed: 3)
        var shuffled = lines
        for index in shuffled.indices.reversed() { shuffled.swapAt(index, Int(random.next() % UInt64(index + 1))) }
        let old = lines.joined(separator: "\n"), new = shuffled.joined(separator: "\n")
        try expectRebuilds(try WordDiff.between(old, new), old, new)
        // No line breaks at all, and nothing in common but the vocabulary.
        let flat = old.replacingOccurrences(of: "\n", with: " "), other = String(flat.reversed())
        try expectRebuilds(try WordDiff.between(flat, other), flat, other)
    }

    @Test func limiterRefusesLargeDiffsBeyondTheLimitAndLetsSmallOnesThrough() throws {
        let limiter = DiffLimiter(maxLargeDiffs: 2, largeInputBytes: 1000)
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), finished = DispatchGroup()
        let results = Results()
        for _ in 0..<2 {
            finished.enter()
            DispatchQueue.global().async {
                let value = try? limiter.run(inputBytes: 5000) {
                    started.signal()
                    release.wait()
                    return 1
                }
                results.append(value ?? 0)
                finished.leave()
            }
        }
        started.wait()
        started.wait()
        #expect(limiter.largeDiffsRunning == 2)
        let refused = #expect(throws: StoreError.self) { try limiter.run(inputBytes: 5000) { 3 } }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message == "too many large diffs at once; try again")
        #expect(try limiter.run(inputBytes: 1000) { 4 } == 4, "at or under the threshold is never limited")
        release.signal()
        release.signal()
        finished.wait()
        #expect(results.values == [1, 1])
        #expect(limiter.largeDiffsRunning == 0)
        #expect(try limiter.run(inputBytes: 5000) { 5 } == 5)
        // A failing diff gives its slot back.
        #expect(throws: StoreError.self) { try limiter.run(inputBytes: 5000) { throw StoreError(.internal, "boom") } }
        #expect(limiter.largeDiffsRunning == 0)
    }

    @Test func aLargeDiffIsFollowedByOneHeapTrimPerBurst() async throws {
        let trim = HeapTrim(delay: .milliseconds(50))
        let limiter = DiffLimiter(maxLargeDiffs: 2, largeInputBytes: 1000, heapTrim: trim)
        #expect(try limiter.run(inputBytes: 1000) { 1 } == 1)
        try await Task.sleep(for: .milliseconds(200))
        #expect(trim.trimCount == 0, "small diffs leave the heap alone")
        for _ in 0..<5 { _ = try limiter.run(inputBytes: 5000) { [UInt8](repeating: 1, count: 1 << 20).count } }
        #expect(try await eventually { trim.trimCount == 1 }, "a burst of large diffs is followed by a trim")
        try await Task.sleep(for: .milliseconds(200))
        #expect(trim.trimCount == 1, "the burst's calls were coalesced into one trim")
        _ = try limiter.run(inputBytes: 5000) { 0 }
        #expect(try await eventually { trim.trimCount == 2 }, "a later burst gets its own")
    }

    @Test func storeDiffsLargeDocumentsWordByWord() async throws {
        let fixture = try StoreFixture()
        let key = try fixture.key()
        let lines = Self.document(bytes: 300 * 1024)
        var edited = lines
        edited[10] = "A different line."
        let old = try await fixture.store.save(key, content: lines.joined(separator: "\n"), updatedBy: "ann")
        let new = try await fixture.store.save(key, content: edited.joined(separator: "\n"), updatedBy: "bo")
        let words = try fixture.store.diff(key, from: old.commit, to: new.commit, mode: .word)
        #expect(words.text.contains("{+A+}") && words.text.contains("{+line+}."))
        #expect(words.additions == 3 && words.deletions == Self.wordCount(lines[10]) - 1)
        #expect(fixture.store.largeDiffs.largeDiffsRunning == 0)
    }

    // MARK: - Helpers

    /// Joining equal and deleted runs gives the old text, equal and inserted runs the new one; runs are
    /// non-empty, alternate, and put removals before additions; the counts are the non-space tokens.
    private func expectRebuilds(_ diff: WordDiff, _ old: String, _ new: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(diff.segments.filter { $0.op != "insert" }.map(\.text).joined() == old, "old text", sourceLocation: sourceLocation)
        #expect(diff.segments.filter { $0.op != "delete" }.map(\.text).joined() == new, "new text", sourceLocation: sourceLocation)
        for (previous, segment) in zip(diff.segments, diff.segments.dropFirst()) {
            #expect(previous.op != segment.op && !(previous.op == "insert" && segment.op == "delete"), sourceLocation: sourceLocation)
        }
        #expect(!diff.segments.contains { $0.text.isEmpty }, sourceLocation: sourceLocation)
        let words: (String) -> Int = { op in diff.segments.filter { $0.op == op }.map { Self.wordCount($0.text) }.reduce(0, +) }
        #expect(diff.additions == words("insert") && diff.deletions == words("delete"), sourceLocation: sourceLocation)
    }

    /// Insertions plus deletions needed to turn `old` into `new`: the textbook O(N·M) dynamic program.
    static func editDistance(_ old: [Int32], _ new: [Int32]) -> Int {
        var row = Array(0...new.count)
        for i in 1...max(1, old.count) where !old.isEmpty {
            var previous = row
            previous[0] = i
            for j in 1..<(new.count + 1) {
                previous[j] = old[i - 1] == new[j - 1] ? row[j - 1] : 1 + min(row[j], previous[j - 1])
            }
            row = previous
        }
        return row[new.count]
    }

    /// Tokens of `text` that are not white space.
    static func wordCount(_ text: String) -> Int { referenceTokens(text).filter { !$0.allSatisfy(\.isWhitespace) }.count }

    /// The tokenisation the libgit2-based implementation used, character by character.
    static func referenceTokens(_ text: String) -> [String] {
        var tokens: [String] = [], current = "", currentKind = 0
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

    /// Markdown-like lines of about `bytes` bytes from a small vocabulary (as folio-bench's sized documents).
    static func document(bytes: Int) -> [String] {
        let words = ["planner", "revision", "checkout", "scope", "customer", "latency", "release", "metric", "goal", "feature",
                     "review", "owner", "milestone", "risk", "launch", "budget", "team", "document", "version", "store"]
        var random = SeededRandom(seed: 11)
        var lines = ["# Product requirements"], total = 0
        while total < bytes {
            var line = lines.count % 20 == 0 ? "## Section \(lines.count / 20)" : ""
            while line.utf8.count < 72 { line += (line.isEmpty ? "" : " ") + words[Int(random.next() % UInt64(words.count))] }
            lines.append(line + ".")
            total += line.utf8.count + 2
        }
        return lines
    }
}

/// Values collected from other threads.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Int] = []
    func append(_ value: Int) { lock.withLock { collected.append(value) } }
    var values: [Int] { lock.withLock { collected } }
}

/// xorshift64: reproducible test inputs.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
