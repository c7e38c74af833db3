import ArgumentParser
import FolioStore
import Foundation
import Logging
import FolioSupport

/// Flags every command shares: where the data lives, and machine-readable output.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: "The bare repository (FOLIO_REPO_PATH; default ./data/folio.git).")
    var repositoryPath: String?

    @Option(name: .customLong("database"), help: "The catalog URL (FOLIO_DATABASE_URL; default sqlite:./data/folio.sqlite).")
    var databaseURL: String?

    @Option(name: .customLong("media-root"), help: "The local mirror's root (MEDIA_ROOT; default ./data/media).")
    var mediaRoot: String?

    @Flag(name: .customLong("json"), help: "Print machine-readable JSON.")
    var json = false

    /// The environment's configuration with the flags applied.
    func configuration() throws -> StoreConfiguration {
        var configuration = try StoreConfiguration.fromEnvironment()
        if let repositoryPath { configuration.repositoryPath = repositoryPath }
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let mediaRoot { configuration.mediaRoot = mediaRoot }
        return configuration
    }

    /// Opens the store; logs go to stderr at warning level so stdout stays clean for output.
    /// `drainMirror: false` skips publishing pending mirror writes at open (status and sync do it their way).
    func openStore(drainMirror: Bool = true) throws -> DocumentStore {
        var logger = Logger(label: "folio")
        logger.logLevel = Logger.Level.fromEnvironment(default: .error)
        return try DocumentStore.open(configuration(), logger: logger, drainMirror: drainMirror)
    }
}

/// Runs a command body and turns any failure into one line on stderr and a non-zero exit status.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as StoreError {
        FileHandle.standardError.write(Data("folio: \(error.message)\n".utf8))
        if let conflict = error.conflict {
            FileHandle.standardError.write(Data("folio: current commit \(conflict.currentCommit?.hex ?? "none"); conflict:\n\(conflict.conflictText)".utf8))
        }
        throw ExitCode(exitStatus(for: error.code))
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("folio: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Exit statuses scripts can branch on.
func exitStatus(for code: StoreError.Code) -> Int32 {
    switch code {
    case .invalidInput, .tooLarge: return 2
    case .notFound: return 3
    case .conflict, .preconditionFailed: return 4
    case .unavailable, .catalogDamaged: return 5
    case .invalidDocument: return 6
    default: return 1
    }
}

/// Prints a value as pretty JSON with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    // Folio's own writer: numbers as Python prints them (1.0 stays 1.0, big integers keep every digit),
    // the same as the HTTP replies, git and the mirror.
    print(String(decoding: try JSONValueEncoder(layout: .pretty(indent: 2)).encode(value), as: UTF8.self))
}

/// Shows `label: done/total` on one refreshing stderr line when stderr is a terminal.
func terminalProgress(_ label: String) -> ((Int, Int) -> Void)? {
    guard isatty(2) == 1 else { return nil }
    return { done, total in
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
    }
}

extension Date {
    /// ISO 8601 in UTC, as the CLI and API print times.
    var iso8601: String { ISO8601DateFormatter().string(from: self) }
}
