import Foundation

/// The layout of Folio's commit messages: a subject people read in `git log`, the user's message as the
/// body, and trailers that let ingest recover the intent of a commit without guessing.
enum CommitMessage {
    static let keyTrailer = "Folio-Key"
    static let actionTrailer = "Folio-Action"
    /// The API token a save came through (its holder's name), recorded whatever `updated_by` says.
    static let tokenTrailer = "Folio-Token"

    /// `Update prd 123e…/main_prd` (or `Change 3 files` for several), the user's message, then a
    /// `Folio-Key:` and `Folio-Action:` pair per file.
    static func compose(changes: [(action: Action, key: FileKey)], userMessage: String?, token: String? = nil) -> String {
        var text: String
        if changes.count == 1, let only = changes.first {
            text = "\(only.action.verb) \(only.key.fileType.rawValue) \(only.key.projectID)/\(only.key.name)\n"
        } else {
            text = "Change \(changes.count) files\n"
        }
        if let userMessage = userMessage?.trimmingCharacters(in: .whitespacesAndNewlines), !userMessage.isEmpty {
            text += "\n\(userMessage)\n"
        }
        text += "\n"
        for change in changes {
            text += "\(keyTrailer): \(change.key.path)\n\(actionTrailer): \(change.action.rawValue)\n"
        }
        if let token { text += "\(tokenTrailer): \(token)\n" }
        return text
    }

    /// The action each file's trailers name (`Folio-Key:` followed by its `Folio-Action:`).
    static func actions(in trailers: [(key: String, value: String)]) -> [String: Action] {
        var actions: [String: Action] = [:]
        var key: String?
        for trailer in trailers {
            if sameKey(trailer.key, keyTrailer) {
                key = trailer.value
            } else if sameKey(trailer.key, actionTrailer), let path = key {
                actions[path] = Action(rawValue: trailer.value)
                key = nil
            }
        }
        return actions
    }

    /// The user's message from a full commit message: without Folio's subject and trailers. Commits made
    /// elsewhere (a `git push`) keep their whole message minus trailers.
    ///
    /// Ingest calls this for every commit it reads, so it works on slices of the message rather than
    /// copies, and trims with the scalar tests below instead of Foundation's character sets.
    static func userMessage(of message: String, trailers: [(key: String, value: String)]) -> String {
        // Split on the newline byte, as git does: splitting on the Character "\n" walks grapheme clusters,
        // which was a twentieth of a reindex.
        var lines = message.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring($0) }
        // Trailers sit in the last paragraph; drop that paragraph when every line in it is a trailer.
        while let last = lines.last, isBlank(last) { lines.removeLast() }
        if !trailers.isEmpty, let start = lines.lastIndex(where: isBlank) ?? (lines.isEmpty ? nil : -1) {
            let paragraph = lines[(start + 1)...]
            let allTrailers = paragraph.allSatisfy { line in
                guard let colon = line.firstIndex(of: ":") else { return false }
                let name = trimmed(line[..<colon], newlines: false)
                return trailers.contains { sameKey($0.key, name) }
            }
            if allTrailers { lines.removeSubrange(max(start, 0)...) }
        }
        let isFolio = trailers.contains { sameKey($0.key, keyTrailer) }
        if isFolio, !lines.isEmpty {
            lines.removeFirst()
        }
        return String(trimmed(lines.joined(separator: "\n")[...], newlines: true))
    }

    /// Trailer keys compare as git compares them: ignoring ASCII case.
    private static func sameKey<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(x | 0x20))
        }
    }

    /// Foundation's `.whitespaces`: tab and the space separators.
    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || (scalar.value > 0x7f && scalar.properties.generalCategory == .spaceSeparator)
    }

    /// Foundation's `.newlines`.
    private static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        (0x0a...0x0d).contains(scalar.value) || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    private static func isBlank(_ line: Substring) -> Bool {
        line.unicodeScalars.allSatisfy(isSpace)
    }

    private static func trimmed(_ text: Substring, newlines: Bool) -> Substring {
        let scalars = text.unicodeScalars
        let keep = { (scalar: Unicode.Scalar) in !(isSpace(scalar) || (newlines && isNewline(scalar))) }
        guard let first = scalars.firstIndex(where: keep), let last = scalars.lastIndex(where: keep) else { return text[text.endIndex...] }
        return Substring(scalars[first...last])
    }
}
