import ArgumentParser
import FolioStore
import Foundation

struct MigrateLegacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-legacy",
        abstract: "Move the old system's database rows into git: one commit per row, in updated_at order.",
        discussion: """
            Each row with content becomes a commit authored by the row's author at its updated_at; its key
            column (s3_file_key) is then set to the file key, and its commit column where the table has one.
            Safe to interrupt and run again: rows already moved are not committed twice, and a second run
            commits nothing. Names Folio's key rules refuse are mapped (see README) and listed in the report.
            Nothing is deleted from the old tables.
            """)
    @OptionGroup var options: StoreOptions
    @Option(help: "The old system's database, postgres://USER:PASSWORD@HOST:PORT/DB.") var source: String
    @Option(help: "The author of rows without one.") var defaultAuthor = "legacy"
    @Option(help: "The column holding a row's author.") var authorColumn = "updated_by"
    @Option(help: "The column a moved row's commit id is written to, where the table has it.") var commitColumn = "folio_commit_id"
    @Option(help: "The PRD table.") var prdTable = "projects_projectprd"
    @Option(help: "The implementation table.") var implementationTable = "projects_projectimplementation"
    @Option(help: "Rows per group commit (each row is still its own commit).") var batch = 256
    @Flag(help: "Plan and report only: commit nothing, write nothing back.") var dryRun = false

    func run() async throws {
        try await runReporting {
            guard (1...10_000).contains(batch) else { throw StoreError.invalid("batch", "--batch \(batch) is out of range; use 1 to 10000") }
            var migration = LegacyMigration(sourceURL: source)
            migration.tables.prdTable = prdTable
            migration.tables.implementationTable = implementationTable
            migration.tables.authorColumn = authorColumn
            migration.tables.commitColumn = commitColumn
            migration.defaultAuthor = defaultAuthor
            migration.dryRun = dryRun
            migration.rowsPerBatch = batch
            let store = try options.openStore()
            defer { store.close() }
            let report = try await migration.run(into: store, progress: MigrationProgress.make())
            store.flushMirror()
            if options.json {
                try printJSON(report)
            } else {
                print(MigrationProgress.summary(report))
            }
            if report.failed > 0 { throw ExitCode(1) }
        }
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, a plain line every few seconds otherwise
/// (logs and CI keep a readable record).
enum MigrationProgress {
    static func make() -> @Sendable (Int, Int, LegacyMigrationReport) -> Void {
        let terminal = isatty(2) == 1
        let started = Date()
        let last = LastLine()
        return { done, total, report in
            let line = "\(done)/\(total) rows, \(report.moved) moved, \(report.alreadyMoved + report.alreadyInGit) already in git, "
                + "\(report.skipped.values.reduce(0, +)) skipped, \(report.failed) failed"
            if terminal {
                let width = 30
                let filled = total == 0 ? width : done * width / total
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                FileHandle.standardError.write(Data("\r\u{1B}[Kmigrate-legacy [\(bar)] \(line)\(done == total ? "\n" : "")".utf8))
            } else if last.due(final: done == total) {
                let rate = Double(done) / max(Date().timeIntervalSince(started), 0.001)
                FileHandle.standardError.write(Data("migrate-legacy: \(line) (\(Int(rate)) rows/s)\n".utf8))
            }
        }
    }

    /// When the last plain line was written: at most one every two seconds, plus the final one.
    final class LastLine: @unchecked Sendable {
        private let lock = NSLock()
        private var at = Date.distantPast
        func due(final: Bool) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard final || Date().timeIntervalSince(at) >= 2 else { return false }
            at = Date()
            return true
        }
    }

    /// The report for a person: totals, then every skipped or failed row and every mapped name.
    static func summary(_ report: LegacyMigrationReport) -> String {
        var lines: [String] = []
        let verb = report.dryRun ? "would move" : "moved"
        lines.append("\(report.rows) legacy row(s): \(verb) \(report.moved), already in git \(report.alreadyMoved + report.alreadyInGit), "
            + "skipped \(report.skipped.values.reduce(0, +)), failed \(report.failed) (\(String(format: "%.1f", report.seconds)) s)")
        for reason in LegacyMigrationReport.SkipReason.allCases {
            if let count = report.skipped[reason.rawValue] { lines.append("  skipped, \(reason.rawValue): \(count)") }
        }
        for note in report.notes { lines.append("  \(note.table) row \(note.id): \(note.reason)") }
        if !report.mappings.isEmpty {
            lines.append("names mapped to Folio's key rules:")
            for mapping in report.mappings { lines.append("  \(mapping.table) row \(mapping.id): '\(mapping.from)' -> '\(mapping.to)'") }
        }
        return lines.joined(separator: "\n")
    }
}
