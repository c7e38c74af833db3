internal import FolioGit
import FolioSupport
import Foundation

extension DocumentStore {
    /// Each line of the file's current version (or of its revision `at`) with the revision that last
    /// changed it.
    ///
    /// Walks the file's revisions from the catalog backwards, diffing each version's lines with the one
    /// before, and stops as soon as every line has its revision: cost grows with how far back the oldest
    /// surviving line was written, not with the repository. A delete counts as an empty version, so lines
    /// brought back by a restore are the restorer's, as `git blame` would say.
    public func blame(_ key: FileKey, at commit: ObjectID? = nil) throws -> Blame {
        catchUpIfBehind()
        // Newest first, as the catalog pages them; the whole history of one file is one indexed read.
        let revisions = try catalog.revisions(key, limit: Int(Int32.max), beforeSeq: nil)
        guard !revisions.isEmpty else { throw StoreError(.notFound, "\(key.path) does not exist") }
        let start: Int
        if let commit {
            guard let index = revisions.firstIndex(where: { $0.commit == commit }) else {
                throw StoreError(.notFound, "commit \(commit.short) did not change \(key.path); blame a commit from its history", field: "at")
            }
            start = index
        } else {
            start = 0
        }
        guard revisions[start].blob != nil, revisions[start].action != .delete else {
            throw StoreError(.notFound, "\(key.path) was deleted at \(revisions[start].commit.short); blame an older revision", field: "at")
        }

        // One borrowed handle for the whole walk: thousands of small reads should not each take one from the pool.
        return try readers.withRepository { repository in
            try walk(revisions, from: start, key: key) { revision in
                guard let blob = revision.blob else { return "" }
                if let cached = envelopes.value(forKey: blob) { return cached.content }
                return try Envelope.decode(repository.readBlob(blob), key: key.path).content
            }
        }
    }

    /// Attributes each line of `revisions[start]`'s version (see `blame`); `content` reads a version's text.
    private func walk(_ revisions: [Revision], from start: Int, key: FileKey, content: (Revision) throws -> String) throws -> Blame {
        let targetLines = try LineText(content(revisions[start]))
        var current = targetLines
        let target = current.count
        var owners = [Revision?](repeating: nil, count: target)
        // For each line of the version being looked at, the target line it became (nil once attributed).
        var positions: [Int?] = Array(0..<target)
        var remaining = target
        let diff = LineDiff()
        var versionsRead = 1
        var index = start
        while remaining > 0 {
            let revision = revisions[index]
            guard index + 1 < revisions.count else {
                // The file's first version: whatever is left was written there.
                for case let position? in positions where owners[position] == nil { owners[position] = revision }
                break
            }
            let older = revisions[index + 1]
            if older.blob == revision.blob, older.blob != nil {
                // The same bytes (a no-op restore, or metadata written back): nothing changed here.
                index += 1
                continue
            }
            let previous = older.blob == nil ? LineText("") : try LineText(content(older))
            versionsRead += 1
            let origins = diff.origins(old: previous, new: current)
            var olderPositions = [Int?](repeating: nil, count: previous.count)
            for (line, position) in positions.enumerated() {
                guard let position else { continue }
                if let origin = origins[line] {
                    olderPositions[origin] = position
                } else {
                    owners[position] = revision
                    remaining -= 1
                }
            }
            positions = olderPositions
            current = previous
            index += 1
        }
        return Blame(
            fileKey: key.path, commit: revisions[start].commit,
            lines: (0..<targetLines.count).map { offset in
                BlameLine(line: offset + 1, text: targetLines.line(offset), revision: owners[offset] ?? revisions[start])
            },
            versionsRead: versionsRead)
    }
}
