import Foundation

// folio-bench: in-process measurements of Folio's store on real repositories in a temp folder (durable
// save throughput, group commit beside one commit per save; load, history and diff latency), plus the
// helpers Benchmarks/run-all.sh uses to build large repositories. Prints markdown; `--write FILE` also
// saves it, `--json FILE` appends machine-readable results. `--quick` shrinks everything for a smoke run.

let options = Options(CommandLine.arguments)
let benchBase = ProcessInfo.processInfo.environment["FOLIO_BENCH_DIR"] ?? NSTemporaryDirectory()
let json = JSONLines(path: options.jsonPath)
nonisolated(unsafe) var report: [String] = []

/// Prints a report line and keeps it for `--write` (called from the main flow only).
@MainActor func emit(_ line: String) {
    print(line)
    report.append(line)
}

func header() -> String {
    let info = ProcessInfo.processInfo
    return "Machine: \(info.activeProcessorCount) cores, \(info.physicalMemory / (1 << 30)) GiB; fsync on for every write. Command: `folio-bench \(CommandLine.arguments.dropFirst().joined(separator: " "))`."
}

do {
    switch options.command {
    case "all":
        emit("## Core: durable saves, load, history, diff")
        emit("")
        emit(header())
        emit("")
        try await benchSaves(options, json: json)
        try await benchLatency(options, json: json)
        try await benchSizes(options, json: json)
        try await benchHistorySize(options, json: json)
    case "saves": try await benchSaves(options, json: json)
    case "latency": try await benchLatency(options, json: json)
    case "sizes": try await benchSizes(options, json: json)
    case "history-size": try await benchHistorySize(options, json: json)
    case "fill": try await fillCommand(options)
    case "history": try historyCommand(options, json: json)
    case "seed-sizes": try await seedSizesCommand(options)
    case "help", "--help", "-h":
        print(usage)
    default:
        FileHandle.standardError.write(Data("folio-bench: unknown command \(options.command)\n\(usage)\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("folio-bench: \(error)\n".utf8))
    exit(1)
}

if let outputPath = options.outputPath {
    try report.joined(separator: "\n").appending("\n").write(toFile: outputPath, atomically: true, encoding: .utf8)
}
