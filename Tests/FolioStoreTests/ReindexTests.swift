import FolioGit
@testable import FolioStore
import FolioSupport
import Foundation
import Testing

/// A long catch-up reads git on several handles ahead of the catalog (`ChunkReader`); the rows it
/// writes must be exactly those of the one-thread read.
@Suite struct ReindexTests {
    @Test func readingAheadOnSeveralHandlesRecordsTheSameRowsAsOneThread() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let files = try (0..<40).map { try fixture.key("p\($0 % 3)", $0 % 2 == 0 ? .prd : .implementation, "doc_\($0)") }
        // Commits written straight into git (one pack): several files per commit now and then, deletes,
        // metadata that changes, and many authors, so chunk and lane borders fall inside runs of a file.
        let repository = try Repository.open(at: fixture.repoPath)
        try repository.beginBatch()
        var tip: ObjectID?
        var tree: ObjectID?
        var live = Set<Int>()
        let commits = 2_600
        for index in 0..<commits {
            var changes: [TreeChange] = []
            let first = index % files.count, second = (index * 7) % files.count
            for file in index % 5 == 0 && second != first ? [first, second] : [first] {
                if live.contains(file) && index % 17 == 0 {
                    changes.append(TreeChange(path: files[file].path, blob: nil))
                    live.remove(file)
                } else {
                    let envelope = Envelope(
                        content: "# \(files[file].name)\n\nversion \(index)\n", metadata: ["rev": .int(JSONInteger(index)), "file": .int(JSONInteger(file))],
                        type: files[file].fileType.rawValue)
                    changes.append(TreeChange(path: files[file].path, blob: try repository.writeBlob(envelope.encoded())))
                    live.insert(file)
                }
            }
            tree = try repository.updatedTree(base: tree, changes: changes)
            let author = Signature(name: "author\(index % 11)", email: "a\(index % 11)@example.com")
            tip = try repository.createCommit(tree: tree!, parents: tip.map { [$0] } ?? [], author: author, committer: author, message: "Commit \(index)\n")
        }
        try repository.flushBatch()
        try repository.updateReference("refs/heads/main", to: tip!, expected: nil, logMessage: "test")

        func snapshot() throws -> [String] {
            var lines: [String] = []
            for project in ["p0", "p1", "p2"] {
                for document in try store.list(projectID: project) { lines.append("\(document)") }
            }
            for key in files {
                var cursor: String?
                repeat {
                    let page = try store.history(key, limit: 1000, cursor: cursor)
                    lines += page.revisions.map { "\($0)" }
                    cursor = page.nextCursor
                } while cursor != nil
            }
            return lines
        }
        var progress: [Int] = []
        try store.reindex(parallelThreshold: .max)
        let oneThread = try snapshot()
        try store.reindex(parallelThreshold: 1) { done, total in
            #expect(total == commits)
            progress.append(done)
        }
        let ahead = try snapshot()
        #expect(ahead == oneThread)
        #expect(progress.last == commits && progress == progress.sorted())
        // Every commit changed at least one file, and the newest row of a live file carries its metadata.
        #expect(ahead.count >= commits)
        for document in try store.list(projectID: "p0") {
            let loaded = try store.load(document.key)
            #expect(document.metadata == JSONValue.object(loaded.metadata).canonicalText)
            #expect(loaded.metadata["rev"] != nil)
        }
    }
}
