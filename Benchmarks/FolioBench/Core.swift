import FolioGit
import FolioStore
import Foundation
import FolioSupport

// The core in-process measurements: durable save throughput (group commit beside one commit per save),
// latency with 10k revisions of one file, and history against the size of the repository.

/// A fresh store in its own folder under the benchmark base folder.
func freshStore(_ label: String, configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> (DocumentStore, String) {
    let folder = (benchBase as NSString).appendingPathComponent("folio-bench-\(label)-\(UUID().uuidString.prefix(6))")
    return (try openStore(folder: folder, configure: configure), folder)
}

/// Saves `total` documents from `writers` concurrent tasks (each to its own file); returns saves/second.
func saveThroughput(_ store: DocumentStore, writers: Int, total: Int, content: String) async throws -> Double {
    let perWriter = max(1, total / writers)
    let seconds = try await timeAsync {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<perWriter {
                        _ = try await store.save(projectID: "bench", type: .prd, name: "w\(writer)",
                                                 content: "\(content) \(index)", updatedBy: "writer\(writer)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    return Double(perWriter * writers) / seconds
}

/// Durable saves per second at 1/8/64/256 writers, group commit (one pack per batch) beside the naive
/// mode (loose objects, one commit per write), alternating within each run.
@MainActor func benchSaves(_ options: Options, json: JSONLines) async throws {
    let runs = options.int("runs", options.quick ? 1 : 3)
    emit("### Durable saves per second (in-process, fsync on)")
    emit("")
    emit("Each writer saves to its own file; \(runs) run(s), medians; group and naive runs alternate on fresh stores.")
    emit("")
    emit("| writers | group commit (saves/s) | one commit per save (saves/s) | ratio |")
    emit("|---:|---:|---:|---:|")
    let totalSaves = options.int("saves", options.quick ? 200 : 2000)
    for writers in [1, 8, 64, 256] {
        var grouped: [Double] = [], naive: [Double] = []
        for _ in 0..<runs {
            let (batched, folderA) = try freshStore("group")
            grouped.append(try await saveThroughput(batched, writers: writers, total: writers == 1 ? totalSaves / 4 : totalSaves, content: "text"))
            batched.close()
            try? FileManager.default.removeItem(atPath: folderA)
            let (plain, folderB) = try freshStore("naive") { $0.maxBatch = 1; $0.packedWrites = false }
            naive.append(try await saveThroughput(plain, writers: writers, total: writers == 1 ? totalSaves / 4 : totalSaves / 2, content: "text"))
            plain.close()
            try? FileManager.default.removeItem(atPath: folderB)
        }
        let g = Stats(samples: grouped).median, n = Stats(samples: naive).median
        emit("| \(writers) | \(Int(g)) | \(Int(n)) | \(String(format: "%.1f×", g / n)) |")
        json.write(["bench": "saves", "writers": writers, "group": g, "naive": n, "ratio": g / n,
                    "group_samples": grouped, "naive_samples": naive])
    }
    emit("")
}

/// Load, history and diff latency with 10k revisions of one ~1 KB file.
@MainActor func benchLatency(_ options: Options, json: JSONLines) async throws {
    let revisions = options.int("revisions", options.quick ? 1000 : 10_000)
    let (store, folder) = try freshStore("latency")
    let key = try FileKey(projectID: "bench", fileType: .prd, name: "main_prd")
    let paragraph = String(repeating: "The product must let planners compare revisions quickly. ", count: 16)
    let fillStarted = DispatchTime.now().uptimeNanoseconds
    // 64 concurrent writers on one file, so the revisions are written with group commit.
    let commits = try await withThrowingTaskGroup(of: [ObjectID].self) { group in
        for writer in 0..<64 {
            group.addTask {
                var mine: [ObjectID] = []
                for index in stride(from: writer, to: revisions, by: 64) {
                    mine.append(try await store.save(key, content: "# PRD\n\(paragraph)\nrevision \(index)\n", updatedBy: "u\(writer)").commit)
                }
                return mine
            }
        }
        var all: [ObjectID] = []
        for try await part in group { all += part }
        return all
    }
    let fill = Double(DispatchTime.now().uptimeNanoseconds - fillStarted) / 1e9
    emit("### Latency with \(revisions) revisions of one ~1 KB file (in-process)")
    emit("")
    emit("(Filling it took \(String(format: "%.1f", fill)) s: \(Int(Double(revisions) / fill)) saves/s from 64 writers on one file.)")
    emit("")
    func measure(_ label: String, _ runs: Int, _ body: () throws -> Void) throws {
        var samples: [Double] = []
        for _ in 0..<runs { samples.append(try time(body)) }
        let stats = Stats(samples: samples)
        emit("| \(label) | \(ms(stats.median)) | \(ms(stats.p99)) |")
        json.write(["bench": "latency", "op": label, "runs": runs, "p50_ms": stats.median * 1000, "p99_ms": stats.p99 * 1000])
    }
    let history = try store.history(key, limit: 1000)
    emit("| operation | p50 | p99 |")
    emit("|---|---:|---:|")
    try measure("load current", 2000) { _ = try store.load(key) }
    try measure("load at an old commit", 1000) { _ = try store.load(key, at: commits[commits.count / 2]) }
    try measure("history, first page of 50", 2000) { _ = try store.history(key, limit: 50) }
    let deepCursor = String(revisions / 20)
    try measure("history, page of 50 deep in the past", 2000) { _ = try store.history(key, limit: 50, cursor: deepCursor) }
    try measure("diff adjacent revisions (line)", 500) { _ = try store.diff(key, from: history.revisions[1].commit, to: history.revisions[0].commit) }
    try measure("diff first vs last revision (line)", 500) { _ = try store.diff(key, from: commits[0], to: history.revisions[0].commit) }
    try measure("diff adjacent revisions (word)", 500) { _ = try store.diff(key, from: history.revisions[1].commit, to: history.revisions[0].commit, mode: .word) }
    emit("")
    store.close()
    try? FileManager.default.removeItem(atPath: folder)
}

/// History of one file must not depend on how many other commits the repository holds.
@MainActor func benchHistorySize(_ options: Options, json: JSONLines) async throws {
    emit("### History of one file vs. the size of the repository (in-process)")
    emit("")
    emit("| other commits in the repository | history, first page of 50 (p50) | p99 |")
    emit("|---:|---:|---:|")
    for others in options.quick ? [1000, 10_000] : [1000, 100_000] {
        let (store, folder) = try freshStore("size")
        let tracked = try FileKey(projectID: "bench", fileType: .prd, name: "tracked")
        for index in 0..<100 { _ = try await store.save(tracked, content: "tracked \(index)", updatedBy: "u") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<128 {
                group.addTask {
                    for index in stride(from: writer, to: others, by: 128) {
                        _ = try await store.save(projectID: "other\(index % 500)", type: .prd, name: "f\(index % 7)", content: "\(index)", updatedBy: "u")
                    }
                }
            }
            try await group.waitForAll()
        }
        var samples: [Double] = []
        for _ in 0..<2000 { samples.append(try time { _ = try store.history(tracked, limit: 50) }) }
        let stats = Stats(samples: samples)
        emit("| \(others) | \(ms(stats.median)) | \(ms(stats.p99)) |")
        json.write(["bench": "history-size", "others": others, "p50_ms": stats.median * 1000, "p99_ms": stats.p99 * 1000])
        store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
    emit("")
}
