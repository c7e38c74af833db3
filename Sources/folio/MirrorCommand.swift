import ArgumentParser
import FolioStore
import Foundation
import FolioSupport

struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror", abstract: "Inspect and repair the mirror (local folder or S3).",
        subcommands: [MirrorStatusCommand.self, MirrorSyncCommand.self, MirrorVerifyCommand.self])
}

struct MirrorStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the mirror writes still pending, and why.")
    @OptionGroup var options: StoreOptions

    struct Output: Encodable {
        struct Pending: Encodable { var file_key: String, commit: ObjectID, attempts: Int, next_attempt_at: String, last_error: String? }
        var mirror: String, ready: Bool, error: String?, pending: [Pending]
    }

    func run() async throws {
        try await runReporting {
            let store = try options.openStore(drainMirror: false)
            defer { store.close(drainMirror: false) }
            let pending = try store.mirrorOutbox()
            let health = store.readiness().first { $0.name == "mirror" }
            if options.json {
                try printJSON(Output(
                    mirror: store.mirrorDescription, ready: health?.ok ?? true, error: health?.error,
                    pending: pending.map { .init(file_key: $0.fileKey, commit: $0.commit, attempts: $0.attempts, next_attempt_at: $0.nextAttemptAt.iso8601, last_error: $0.lastError) }))
            } else {
                print("mirror  \(store.mirrorDescription)")
                print("status  \(health?.ok ?? true ? "reachable" : "NOT reachable: \(health?.error ?? "")")")
                print("pending \(pending.count)")
                for entry in pending {
                    print("  \(entry.fileKey) at \(entry.commit.short): \(entry.attempts) failed attempt(s)\(entry.lastError.map { "; last: \($0)" } ?? "")")
                }
            }
        }
    }
}

struct MirrorSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Publish every file's current version to the mirror now.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore(drainMirror: false)
            defer { store.close(drainMirror: false) }
            let result = try store.syncMirror(progress: terminalProgress("mirror sync"))
            if options.json { try printJSON(["mirrored": result.mirrored, "failed": result.failed]) } else {
                print("mirrored \(result.mirrored) file(s), \(result.failed) failed")
            }
            if result.failed > 0 { throw StoreError(.unavailable, "\(result.failed) file(s) could not be mirrored; see folio mirror status") }
        }
    }
}

struct MirrorVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Compare the mirror with git and repair drift.")
    @OptionGroup var options: StoreOptions
    @Flag(help: "Only report; change nothing.") var dryRun = false

    func run() async throws {
        try await runReporting {
            let store = try options.openStore(drainMirror: false)
            defer { store.close(drainMirror: false) }
            let report = try store.verifyMirror(repair: !dryRun, progress: terminalProgress("mirror verify"))
            if options.json { try printJSON(report) } else {
                print("checked \(report.checked), missing \(report.missing), stale \(report.stale), orphans \(report.orphans), repaired \(report.repaired), failed \(report.failed)")
            }
            if report.failed > 0 { throw StoreError(.unavailable, "\(report.failed) repair(s) failed; see folio mirror status") }
        }
    }
}
