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
            if trailer.key.caseInsensitiveCompare(keyTrailer) == .orderedSame {
                key = trailer.value
            } else if trailer.key.caseInsensitiveCompare(actionTrailer) == .orderedSame, let path = key {
                actions[path] = Action(rawValue: trailer.value)
                key = nil
            }
        }
        return actions
    }

    /// The user's message from a full commit message: without Folio's subject and trailers. Commits made
    /// elsewhere (a `git push`) keep their whole message minus trailers.
    static func userMessage(of message: String, trailers: [(key: String, value: String)]) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let trailerKeys = Set(trailers.map { $0.key.lowercased() })
        // Trailers sit in the last paragraph; drop that paragraph when every line in it is a trailer.
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        if !trailerKeys.isEmpty, let start = lines.lastIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) ?? (lines.isEmpty ? nil : -1) {
            let paragraph = lines[(start + 1)...]
            let allTrailers = paragraph.allSatisfy { line in
                guard let colon = line.firstIndex(of: ":") else { return false }
                return trailerKeys.contains(line[..<colon].trimmingCharacters(in: .whitespaces).lowercased())
            }
            if allTrailers { lines.removeSubrange(max(start, 0)...) }
        }
        let isFolio = trailers.contains { $0.key.caseInsensitiveCompare(keyTrailer) == .orderedSame }
        if isFolio, !lines.isEmpty {
            lines.removeFirst()
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
