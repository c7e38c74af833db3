import FolioStore
import Foundation
import Logging
import FolioSupport

/// Command-line options: `folio-bench [COMMAND] [--quick] [--write FILE] [--json FILE] [--dir D] ...`.
struct Options: Sendable {
    var command = "all"
    var quick = false
    var outputPath: String?
    var jsonPath: String?
    var values: [String: String] = [:]

    init(_ arguments: [String]) {
        var index = 1
        if arguments.count > 1, !arguments[1].hasPrefix("--") {
            command = arguments[1]
            index = 2
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--quick": quick = true
            case "--help", "-h": command = "help"
            case "--write" where index + 1 < arguments.count:
                outputPath = arguments[index + 1]
                index += 1
            case "--json" where index + 1 < arguments.count:
                jsonPath = arguments[index + 1]
                index += 1
            default:
                if argument.hasPrefix("--"), index + 1 < arguments.count {
                    values[String(argument.dropFirst(2))] = arguments[index + 1]
                    index += 1
                } else {
                    FileHandle.standardError.write(Data("folio-bench: unexpected argument \(argument)\n".utf8))
                    exit(2)
                }
            }
            index += 1
        }
    }

    func int(_ name: String, _ fallback: Int) -> Int { values[name].flatMap(Int.init) ?? fallback }
    func string(_ name: String) -> String? { values[name] }

    func require(_ name: String) -> String {
        guard let value = values[name] else {
            FileHandle.standardError.write(Data("folio-bench \(command): --\(name) is required\n".utf8))
            exit(2)
        }
        return value
    }
}

let usage = """
    usage: folio-bench [COMMAND] [--quick] [--write FILE] [--json FILE]

    Commands (each prints markdown; --json appends one JSON object per measurement to FILE):
      all            saves, latency, sizes and history-size (the default)
      saves          durable saves/s at 1/8/64/256 writers, group commit beside one commit per save
      latency        load, history and diff latency with 10k revisions of one file
      sizes          load and diff latency for 1 KB, 100 KB and 5 MB documents
      history-size   history of one file with 1k vs 100k other commits in the repository
      fill --dir D --files N [--tracked-revisions R] [--writers W] [--mirror local|none] [--segment S]
                     a store at D with N distinct files (one commit each) and R revisions of
                     bench/prd/tracked.json spread evenly through the history, saved through the
                     store; reports the rate and the pack count every S saves
      history --dir D [--key K]
                     history latency of one file in an existing store (first page of 50, full)
      seed-sizes --dir D --out FILE
                     a store at D holding two revisions of a 1 KB, 100 KB and 5 MB document;
                     writes their keys and commits to FILE as JSON
    """

/// A store under `base` (or exactly at `folder`), with the given mirror.
func openStore(folder: String, mirror: StoreConfiguration.MirrorKind = .local, configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> DocumentStore {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var configuration = StoreConfiguration.rooted(at: folder)
    configuration.mirrorKind = mirror
    configure(&configuration)
    var logger = Logger(label: "bench")
    // FOLIO_LOG_LEVEL=debug shows where each group commit's time goes.
    logger.logLevel = Logger.Level.fromEnvironment(default: .error)
    return try DocumentStore.open(configuration, logger: logger, background: true)
}

/// One JSON object per line, appended to `--json FILE`.
final class JSONLines: @unchecked Sendable {
    private let path: String?
    private let lock = NSLock()

    init(path: String?) { self.path = path }

    func write(_ fields: [String: Any]) {
        guard let path else { return }
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        lock.lock()
        defer { lock.unlock() }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        handle.seekToEndOfFile()
        handle.write(data + Data("\n".utf8))
        handle.closeFile()
    }
}
