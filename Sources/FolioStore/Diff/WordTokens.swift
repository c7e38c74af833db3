import Foundation

/// Two texts split into word-diff tokens, as byte ranges into one buffer, with each distinct token
/// numbered once (equal bytes, equal number) so the diff compares integers instead of strings.
///
/// A token is a run of word characters (letters, numbers, `_`), a run of white space, or any other single
/// character; characters are Swift's (extended grapheme clusters), so `\r\n`, `e` + combining accent and
/// emoji sequences stay whole. The split is exactly the one iterating `Character`s gives, without making
/// a `Character` (or a `String`) per token: ASCII and the common scripts whose scalars never combine are
/// classified from a table, and only the rest (combining marks, joiners, emoji, ...) asks `String`.
struct WordTokens {
    /// The old text's UTF-8 bytes followed by the new text's.
    let bytes: [UInt8]
    /// Token boundaries in `bytes`: old token `i` is `oldStarts[i]..<oldStarts[i + 1]` (one extra entry at the end).
    let oldStarts: [Int32]
    /// The same for the new text (its bytes follow the old text's in `bytes`).
    let newStarts: [Int32]
    /// Each old token's number.
    let oldIDs: [Int32]
    /// Each new token's number.
    let newIDs: [Int32]
    /// Per token number: `spaceFlag` and `newlineFlag` bits.
    let flags: [UInt8]

    static let spaceFlag: UInt8 = 1
    static let newlineFlag: UInt8 = 2

    var oldCount: Int { oldIDs.count }
    var newCount: Int { newIDs.count }
    /// How many distinct tokens there are.
    var classCount: Int { flags.count }

    init(old: String, new: String) {
        var old = old, new = new
        old.makeContiguousUTF8()
        new.makeContiguousUTF8()
        precondition(old.utf8.count + new.utf8.count < Int(Int32.max), "word diff input over 2 GiB")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(old.utf8.count + new.utf8.count)
        bytes.append(contentsOf: old.utf8)
        bytes.append(contentsOf: new.utf8)
        let newBase = old.utf8.count
        // Grown as needed; most documents have a small vocabulary, and a small table stays in cache.
        var table = TokenTable(expected: bytes.count / 1024)
        let (oldStarts, oldIDs, newStarts, newIDs) = bytes.withUnsafeBufferPointer { buffer in
            let (oldStarts, oldIDs) = Self.tokenize(old, buffer, base: 0, table: &table)
            let (newStarts, newIDs) = Self.tokenize(new, buffer, base: newBase, table: &table)
            return (oldStarts, oldIDs, newStarts, newIDs)
        }
        self.bytes = bytes
        self.oldStarts = oldStarts
        self.newStarts = newStarts
        self.oldIDs = oldIDs
        self.newIDs = newIDs
        self.flags = table.flags
    }

    /// Splits `text`, whose UTF-8 is `buffer[base...]`, into tokens: their starts in `buffer` (plus the
    /// end) and their numbers.
    private static func tokenize(
        _ text: String, _ buffer: UnsafeBufferPointer<UInt8>, base: Int, table: inout TokenTable
    ) -> (starts: [Int32], ids: [Int32]) {
        let utf8 = text.utf8
        let count = utf8.count
        var starts: [Int32] = [], ids: [Int32] = []
        starts.reserveCapacity(count / 4 + 2)
        ids.reserveCapacity(count / 4 + 1)
        guard count > 0 else { return ([Int32(base)], []) }
        let bytes = buffer.baseAddress! + base
        basicPlane.withUnsafeBufferPointer { planeBuffer in
            let plane = planeBuffer.baseAddress!

            /// The basic-plane scalar whose UTF-8 (two or three bytes) starts at `position`, and its length.
            @inline(__always) func scalar(at position: Int) -> (value: Int, length: Int) {
                let lead = Int(bytes[position])
                if lead < 0xE0 { return ((lead & 0x1F) << 6 | Int(bytes[position + 1] & 0x3F), 2) }
                return ((lead & 0x0F) << 12 | Int(bytes[position + 1] & 0x3F) << 6 | Int(bytes[position + 2] & 0x3F), 3)
            }
            /// Whether a character certainly starts at `position` after a simple one: ASCII, or a simple scalar.
            @inline(__always) func breaksBefore(_ position: Int) -> Bool {
                let byte = bytes[position]
                if byte < 0x80 { return true }
                guard byte >= 0xC2 && byte < 0xF0 else { return false }
                return plane[scalar(at: position).value] & simpleFlag != 0
            }
            /// The character at `position`: its kind (1 word, 2 space, 3 other) and where the next one starts.
            @inline(__always) func character(at position: Int) -> (kind: UInt8, next: Int) {
                let byte = bytes[position]
                if byte < 0x80 {
                    if byte == 0x0D {
                        // CR, or CR LF (one character): white space, and always followed by a break.
                        return (2, position + 1 < count && bytes[position + 1] == 0x0A ? position + 2 : position + 1)
                    }
                    // Controls always end a character; other ASCII does unless a combining mark follows.
                    if byte < 0x20 || byte == 0x7F || position + 1 == count || breaksBefore(position + 1) {
                        return (plane[Int(byte)], position + 1)
                    }
                } else if byte >= 0xC2 && byte < 0xF0 {
                    let (value, length) = scalar(at: position)
                    let entry = plane[value]
                    let next = position + length
                    if entry & simpleFlag != 0 && (next == count || breaksBefore(next)) {
                        return (entry & kindMask, next)
                    }
                }
                // Anything else (combining marks, emoji sequences, Hangul jamo, other planes...): ask String.
                let character = text[utf8.index(utf8.startIndex, offsetBy: position)]
                return (kind(of: character), position + character.utf8.count)
            }

            var position = 0
            while position < count {
                let start = position
                let tokenKind: UInt8
                (tokenKind, position) = character(at: position)
                if tokenKind != 3 {
                    // Extend the run of words or spaces; ASCII followed by ASCII is the common case.
                    while position < count {
                        let byte = bytes[position]
                        if byte < 0x80 && byte != 0x0D && (byte < 0x20 || byte == 0x7F || position + 1 == count || bytes[position + 1] < 0x80) {
                            if plane[Int(byte)] != tokenKind { break }
                            position += 1
                        } else {
                            let (kind, next) = character(at: position)
                            if kind != tokenKind { break }
                            position = next
                        }
                    }
                }
                starts.append(Int32(base + start))
                ids.append(table.number(bytes + start, position - start, start: base + start, end: bytes + count, space: tokenKind == 2))
            }
        }
        starts.append(Int32(base + count))
        return (starts, ids)
    }

    /// 1 for a word character (letter, number, `_`), 2 for white space, 3 for anything else.
    private static func kind(of character: Character) -> UInt8 {
        character.isLetter || character.isNumber || character == "_" ? 1 : (character.isWhitespace ? 2 : 3)
    }

    private static let kindMask: UInt8 = 3
    private static let simpleFlag: UInt8 = 4

    /// Basic-plane scalars that never join a neighbour into one character (no combining marks, joiners,
    /// prepended marks, controls, Hangul jamo or regional indicators): between two of them, or one of them
    /// and ASCII, there is always a character break. Conservative: anything not listed takes the slow path.
    private static let simpleRanges: [ClosedRange<Int>] = [
        0x00A0...0x00AC, 0x00AE...0x02FF,  // Latin-1 (not the soft hyphen), Latin Extended, IPA, modifiers
        0x0370...0x0482, 0x048A...0x052F,  // Greek, Cyrillic (not its combining marks)
        0x1E00...0x1FFF,  // Latin Extended Additional, Greek Extended
        0x2000...0x200A, 0x2010...0x2027, 0x202F...0x205F,  // spaces and punctuation (not format controls)
        0x2070...0x20CF, 0x2100...0x2BFF,  // super/subscripts, currency, symbols, arrows, shapes, dingbats
        0x3000...0x3029, 0x3030...0x303F, 0x3041...0x3096, 0x309B...0x30FF,  // CJK punctuation, kana
        0x3105...0x312F, 0x31F0...0x31FF, 0x3200...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA48F,  // CJK, Yi
        0xAC00...0xD7A3,  // Hangul syllables (only jamo join them)
        0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF01...0xFF9D,  // CJK compatibility, full- and half-width forms
    ]

    /// Per basic-plane scalar: its kind as a one-scalar `Character`, plus `simpleFlag` for ASCII and the
    /// simple ranges (kinds are only filled in where they are used).
    private static let basicPlane: [UInt8] = {
        var plane = [UInt8](repeating: 0, count: 0x10000)
        for value in 0..<0x80 { plane[value] = kind(of: Character(Unicode.Scalar(UInt8(value)))) }
        for range in simpleRanges {
            for value in range {
                guard let scalar = Unicode.Scalar(value) else { continue }
                plane[value] = kind(of: Character(scalar)) | simpleFlag
            }
        }
        return plane
    }()
}

/// Numbers tokens: an open-addressing table. A token of up to eight bytes is its own key (its bytes packed
/// in an integer, with its length); a longer one is keyed by a hash and checked byte by byte.
private struct TokenTable {
    private var slots: [Int32]
    private var shift: Int
    private var keys: [UInt64] = []
    private var lengths: [Int32] = []
    private var starts: [Int32] = []
    /// Per number: space and newline flags.
    private(set) var flags: [UInt8] = []

    init(expected: Int) {
        var bits = 12
        while 1 << bits < expected * 2 { bits += 1 }
        slots = [Int32](repeating: -1, count: 1 << bits)
        shift = 64 - bits
    }

    private static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always) private static func slot(_ key: UInt64, _ length: Int, _ shift: Int) -> Int {
        Int(truncatingIfNeeded: ((key ^ UInt64(truncatingIfNeeded: length)) &* multiplier) >> UInt64(shift))
    }

    /// The number of the `length` bytes at `pointer`, which are at `start` in the buffer they belong to
    /// (and which ends at or after `end`).
    @inline(__always) mutating func number(
        _ pointer: UnsafePointer<UInt8>, _ length: Int, start: Int, end: UnsafePointer<UInt8>, space: Bool
    ) -> Int32 {
        let key: UInt64
        if length <= 8 {
            var packed: UInt64 = 0
            if end - pointer >= 8 {
                packed = UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
                if length < 8 { packed &= (1 << UInt64(8 * length)) - 1 }
            } else {
                for index in 0..<length { packed |= UInt64(pointer[index]) << UInt64(8 * index) }
            }
            key = packed
        } else {
            key = ByteStringInterner.hash(pointer, length)
        }
        let mask = slots.count - 1
        var slot = Self.slot(key, length, shift)
        while true {
            let id = slots[slot]
            if id < 0 { break }
            let found = Int(id)
            if keys[found] == key && Int(lengths[found]) == length
                && (length <= 8 || memcmp(pointer - start + Int(starts[found]), pointer, length) == 0) {
                return id
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(keys.count)
        slots[slot] = id
        keys.append(key)
        lengths.append(Int32(length))
        starts.append(Int32(start))
        var flag: UInt8 = 0
        if space {
            flag = WordTokens.spaceFlag
            for index in 0..<length where pointer[index] == 0x0A {
                flag |= WordTokens.newlineFlag
                break
            }
        }
        flags.append(flag)
        if keys.count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        let bits = 64 - shift + 1
        shift = 64 - bits
        slots = [Int32](repeating: -1, count: 1 << bits)
        let mask = slots.count - 1
        for id in 0..<keys.count {
            var slot = Self.slot(keys[id], Int(lengths[id]), shift)
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }
}

/// Numbers distinct byte strings (the fallback's lines, as their tokens' numbers): an open-addressing
/// table keyed by a hash of the bytes, checked byte by byte.
struct ByteStringInterner {
    private var slots: [Int32]
    private var mask: Int
    private var hashes: [UInt64] = []
    private var representatives: [(start: Int32, length: Int32)] = []

    init(expected: Int) {
        var capacity = 1024
        while capacity < expected * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
    }

    /// How many distinct strings have been numbered.
    var count: Int { hashes.count }

    /// The number of each string delimited by `starts` (byte offsets, one entry more than there are strings).
    mutating func intern(_ bytes: UnsafeRawBufferPointer, _ starts: [Int32]) -> [Int32] {
        let count = starts.count - 1
        guard count > 0 else { return [] }
        var ids = [Int32](repeating: 0, count: count)
        let base = bytes.baseAddress!
        for string in 0..<count {
            let start = Int(starts[string]), length = Int(starts[string + 1]) - start
            let hash = Self.hash(base + start, length)
            var slot = Int(truncatingIfNeeded: hash >> 7) & mask
            while true {
                let id = slots[slot]
                if id < 0 {
                    ids[string] = Int32(hashes.count)
                    slots[slot] = ids[string]
                    hashes.append(hash)
                    representatives.append((Int32(start), Int32(length)))
                    if hashes.count * 2 > mask { grow() }
                    break
                }
                let other = representatives[Int(id)]
                if hashes[Int(id)] == hash && Int(other.length) == length
                    && memcmp(base + Int(other.start), base + start, length) == 0 {
                    ids[string] = id
                    break
                }
                slot = (slot + 1) & mask
            }
        }
        return ids
    }

    private mutating func grow() {
        let capacity = (mask + 1) * 2
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for id in 0..<hashes.count {
            var slot = Int(truncatingIfNeeded: hashes[id] >> 7) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    /// A fast 64-bit hash of `length` bytes: eight at a time, multiplied and folded.
    static func hash(_ raw: UnsafeRawPointer, _ length: Int) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var hash = UInt64(truncatingIfNeeded: length) &* multiplier
        var offset = 0
        while offset + 8 <= length {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = (hash ^ word) &* multiplier
            hash ^= hash >> 29
            offset += 8
        }
        if offset < length {
            var word: UInt64 = 0
            for index in offset..<length { word = word << 8 | UInt64(raw.load(fromByteOffset: index, as: UInt8.self)) }
            hash = (hash ^ word) &* multiplier
            hash ^= hash >> 29
        }
        return hash &* multiplier ^ (hash >> 32)
    }
}
