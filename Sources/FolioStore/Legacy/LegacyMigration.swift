internal import FolioGit
import FolioSupport
import Foundation

/// Moves every old-system row with content into git: one commit per row in `updated_at` order, authored
/// by the row's author at its `updated_at`, then writes the row's key (and commit id, where the table has
/// a column for it) back. Nothing is deleted from the old tables.
///
/// Resumable and idempotent: a row whose key column already names its Folio key, with the file in git,
/// is done; a row committed by an interrupted run but not yet written back is recognised by its commit
/// message in the file's history and only written back; a row whose content is already git's current
/// version makes no commit (the store's no-op rule). So a second run commits nothing.
public struct LegacyMigration: Sendable {
    /// The old system's database URL.
    public var sourceURL: String
    /// Its tables and columns.
    public var tables = LegacyTables()
    /// The author of rows without one (or whose author git cannot record).
    public var defaultAuthor = "legacy"
    /// Plan and report only.
    public var dryRun = false
    /// Rows per group commit (each still its own commit).
    public var rowsPerBatch = 256
    /// Content bytes fetched at once, so a run of large rows does not fill memory.
    public var bytesPerBatch = 64 << 20

    /// A migration from `sourceURL`; set the other fields as needed.
    public init(sourceURL: String) {
        self.sourceURL = sourceURL
    }

    /// The commit message that marks a row's move, so an interrupted run recognises rows it committed.
    static func marker(table: String, id: String) -> String {
        "Moved from the old system (\(table) row \(id))"
    }

    /// Runs the migration into `store`; `progress` is called with rows done, rows in total and the report so far.
    public func run(into store: DocumentStore, progress: (@Sendable (Int, Int, LegacyMigrationReport) -> Void)? = nil) async throws -> LegacyMigrationReport {
        let started = Date()
        guard Signature.problem(with: defaultAuthor) == nil else {
            throw StoreError.invalid("default-author", "--default-author '\(defaultAuthor)' cannot be a commit author: \(Signature.problem(with: defaultAuthor)!)")
        }
        let database = try LegacyDatabase(url: sourceURL, tables: tables)
        let keyed = LegacyDatabase.keyed(try database.rows())
        var report = LegacyMigrationReport()
        report.rows = keyed.count
        report.dryRun = dryRun

        // Plan: every row is skipped, already moved, or to be moved.
        var pending: [(row: LegacyDatabase.Row, key: FileKey)] = []
        for (row, key, naming) in keyed {
            let table = tables.table(for: row.type)
            if naming.mapped {
                report.mappings.append(.init(table: table, id: row.id, from: naming.original, to: naming.name))
            }
            guard let key else {
                report.skip(.invalidName, table: table, id: row.id)
                continue
            }
            guard let bytes = row.contentBytes, bytes > 0 else {
                report.skip(.emptyContent, table: table, id: row.id)
                continue
            }
            guard bytes <= store.configuration.maxContentBytes else {
                report.skip(.contentOverLimit, table: table, id: row.id)
                continue
            }
            if row.keyColumn == key.path, (database.shapes.first { $0.type == row.type }?.commitColumn == nil || row.commitColumn != nil),
               try store.catalog.document(key)?.commit != nil {
                report.alreadyMoved += 1
                continue
            }
            pending.append((row, key))
        }
        var done = keyed.count - pending.count
        progress?(done, keyed.count, report)
        if dryRun {
            report.moved = pending.count
            report.seconds = Date().timeIntervalSince(started)
            return report
        }

        // Move: batches bounded by rows and content bytes, each queued in order as one group of commits;
        // the next batch's rows are read and checked while this one is being committed.
        var batches: [[(row: LegacyDatabase.Row, key: FileKey)]] = []
        var start = 0
        while start < pending.count {
            var end = start
            var bytes = 0
            while end < pending.count, end - start < rowsPerBatch, end == start || bytes + (pending[end].row.contentBytes ?? 0) <= bytesPerBatch {
                bytes += pending[end].row.contentBytes ?? 0
                end += 1
            }
            batches.append(Array(pending[start..<end]))
            start = end
        }
        var next = try batches.first.map { try prepare($0, database: database, store: store) }
        for index in batches.indices {
            guard let current = next else { break }
            let upcoming = index + 1 < batches.count ? batches[index + 1] : nil
            async let following = upcoming.map { try self.prepare($0, database: database, store: store) }
            let outcomes = await store.queue.submitAll(current.requests)
            try finish(current, outcomes: outcomes, database: database, report: &report)
            next = try await following
            done += batches[index].count
            progress?(done, keyed.count, report)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// A batch read and checked, ready to be queued.
    private struct Prepared: Sendable {
        var requests: [WriteRequest] = []
        var sent: [(row: LegacyDatabase.Row, key: FileKey)] = []
        var writeBack: [FileType: [(id: String, key: String, commit: String)]] = [:]
        var skips: [(reason: LegacyMigrationReport.SkipReason, table: String, id: String)] = []
        var alreadyInGit = 0
    }

    /// Reads the batch's content and turns each row into a commit request, or a skip, or (committed by an
    /// interrupted run) a write-back alone.
    private func prepare(_ batch: [(row: LegacyDatabase.Row, key: FileKey)], database: LegacyDatabase, store: DocumentStore) throws -> Prepared {
        var prepared = Prepared()
        var contents: [FileType: [String: LegacyDatabase.Content]] = [:]
        for type in FileType.allCases {
            contents[type] = try database.contents(type, ids: batch.filter { $0.row.type == type }.map(\.row.id))
        }
        for (row, key) in batch {
            let table = tables.table(for: row.type)
            guard case .text(let content) = contents[row.type]?[row.id] ?? .text("") else {
                prepared.skips.append((.invalidText, table, row.id))
                continue
            }
            // The row changed since it was planned (emptied, or grown past the limit).
            if content.isEmpty {
                prepared.skips.append((.emptyContent, table, row.id))
                continue
            }
            do {
                try store.checkSize(content)
            } catch let error as StoreError where error.code == .tooLarge {
                prepared.skips.append((.contentOverLimit, table, row.id))
                continue
            } catch {
                prepared.skips.append((.invalidText, table, row.id))
                continue
            }
            let marker = LegacyMigration.marker(table: table, id: row.id)
            // Committed by an interrupted run but not written back: write back only.
            if try store.catalog.document(key)?.commit != nil,
               let earlier = try store.catalog.revisions(key, limit: 1000, beforeSeq: nil).first(where: { $0.message == marker }) {
                prepared.alreadyInGit += 1
                prepared.writeBack[row.type, default: []].append((row.id, key.path, earlier.commit.hex))
                continue
            }
            let author = row.author.flatMap { $0.isEmpty || Signature.problem(with: $0) != nil ? nil : $0 } ?? defaultAuthor
            var metadata: [String: JSONValue] = [:]
            let idValue: JSONValue = Int64(row.id).map { JSONValue.int(JSONInteger($0)) } ?? .string(row.id)
            metadata[row.type == .prd ? "prd_id" : "implementation_id"] = idValue
            metadata[row.type == .prd ? "prd_name" : "implementation_name"] = .string(row.name)
            var request = WriteRequest(
                key: key, kind: .put(content: content, metadata: metadata, baseCommit: nil, restoring: false),
                author: try store.signature(author, email: nil), userMessage: marker)
            request.authorTime = row.updatedAt
            prepared.requests.append(request)
            prepared.sent.append((row, key))
        }
        return prepared
    }

    /// Counts the batch's outcomes and, once its commits are durable, writes the moved rows back.
    private func finish(
        _ prepared: Prepared, outcomes: [Result<[SaveResult], any Error>], database: LegacyDatabase, report: inout LegacyMigrationReport
    ) throws {
        for skip in prepared.skips { report.skip(skip.reason, table: skip.table, id: skip.id) }
        report.alreadyInGit += prepared.alreadyInGit
        var writeBack = prepared.writeBack
        for ((row, key), outcome) in zip(prepared.sent, outcomes) {
            let table = tables.table(for: row.type)
            switch outcome {
            case .success(let results):
                guard let result = results.first else { continue }
                if result.changed { report.moved += 1 } else { report.alreadyInGit += 1 }
                writeBack[row.type, default: []].append((row.id, key.path, result.commit.hex))
            case .failure(let error):
                report.fail((error as? StoreError)?.message ?? "\(error)", table: table, id: row.id)
            }
        }
        // After the commits are durable: an interruption before this line is repaired by the next run.
        for (type, rows) in writeBack { try database.writeBack(type, rows) }
    }
}
