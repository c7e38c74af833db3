import FolioStore
import Foundation
import Synchronization

// Large repositories for the HTTP, mirror, history and memory measurements: `fill` writes N distinct
// files (one commit each, through the store's normal durable save path) and R revisions of one tracked
// file spread evenly through that history; `history` times that file's history in-process.

let trackedKey = "bench/prd/tracked.json"

/// The key of distinct file number `index`: 250 files per project, so no tree grows large.
func fillKey(_ index: Int) throws -> FileKey {
    try FileKey(projectID: "p\(index / 250)", fileType: .prd, name: "f\(index % 250)")
}

final class Segments: Sendable {
    private let rows = Mutex<[[Double]]>([])
    func append(_ row: [Double]) { rows.withLock { $0.append(row) } }
    var all: [[Double]] { rows.withLock { $0 } }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { current in defer { current += 1 }; return current } }
}

/// The number of pack files in a repository.
func packCount(_ repository: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: repository + "/objects/pack")) ?? []).filter { $0.hasSuffix(".pack") }.count
}

/// `fill --dir D --files N [--tracked-revisions R] [--writers W] [--mirror local|none]`.
func fillCommand(_ options: Options) async throws {
    let folder = options.require("dir")
    let files = options.int("files", 10_000)
    let trackedRevisions = options.int("tracked-revisions", 0)
    let writers = options.int("writers", 64)
    let mirror = StoreConfiguration.MirrorKind(rawValue: options.string("mirror") ?? "local") ?? .local
    let store = try openStore(folder: folder, mirror: mirror)
    let tracked = try FileKey(parsing: trackedKey)
    let total = files + trackedRevisions
    // Commit i saves the tracked file when i % step == 0 (its first R such indices); the others create
    // the distinct files in order.
    let step = trackedRevisions > 0 ? max(1, total / trackedRevisions) : Int.max
    let counter = Counter()
    let filler = String(repeating: "Planning notes for this feature. ", count: 4)
    let started = DispatchTime.now().uptimeNanoseconds
    let progress = Counter()
    let segment = options.int("segment", 1000)
    let segments = Segments()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                while true {
                    let index = counter.next()
                    if index >= total { return }
                    let isTracked = trackedRevisions > 0 && index % step == 0 && index / step < trackedRevisions
                    if isTracked {
                        _ = try await store.save(tracked, content: "# Tracked PRD\n\nrevision \(index)\n\(filler)\n",
                                                 metadata: ["prd_id": .int(7)], updatedBy: "writer\(writer)")
                    } else {
                        let trackedBefore = trackedRevisions > 0 ? min(trackedRevisions, index / step + 1) : 0
                        let key = try fillKey(index - trackedBefore)
                        _ = try await store.save(key, content: "# \(key.name)\n\ncommit \(index)\n\(filler)\n",
                                                 metadata: ["prd_id": .integer(index)], updatedBy: "writer\(writer)")
                    }
                    let done = progress.next() + 1
                    if done % segment == 0 {
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                        let packs = packCount(folder + "/folio.git")
                        segments.append([Double(done), seconds, Double(packs)])
                        FileHandle.standardError.write(Data("fill: \(done)/\(total) in \(String(format: "%.1f", seconds)) s, \(packs) packs\n".utf8))
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    let saved = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    store.close()
    let closed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    let result: [String: Any] = [
        "bench": "fill", "files": files, "tracked_revisions": trackedRevisions, "commits": total, "writers": writers,
        "seconds": saved, "seconds_with_mirror_drain": closed, "saves_per_s": Double(total) / saved,
        "segments": segments.all, "packs": packCount(folder + "/folio.git"),
    ]
    JSONLines(path: options.jsonPath).write(result)
    print("filled \(folder): \(total) commits (\(files) files, \(trackedRevisions) tracked revisions) in \(String(format: "%.1f", saved)) s, \(Int(Double(total) / saved)) saves/s; closed after \(String(format: "%.1f", closed)) s")
}

/// `history --dir D [--key K]`: history latency of one file in an existing store, in-process.
@MainActor func historyCommand(_ options: Options, json: JSONLines) throws {
    let folder = options.require("dir")
    let key = try FileKey(parsing: options.string("key") ?? trackedKey)
    let store = try openStore(folder: folder, mirror: .none)
    defer { store.close(drainMirror: false) }
    func fullHistory() throws -> Int {
        var count = 0
        var cursor: String?
        repeat {
            let page = try store.history(key, limit: 1000, cursor: cursor)
            count += page.revisions.count
            cursor = page.nextCursor
        } while cursor != nil
        return count
    }
    let revisions = try fullHistory()
    let budget = options.quick ? 2.0 : 5.0
    let first = try sampled(runs: 2000, seconds: budget) { _ = try store.history(key, limit: 50) }
    let full = try sampled(runs: 500, seconds: budget) { _ = try fullHistory() }
    emit("| operation (in-process) | samples | p50 | p99 |")
    emit("|---|---:|---:|---:|")
    emit("| history, first page of 50 | \(first.samples.count) | \(ms(first.median)) | \(ms(first.p99)) |")
    emit("| history, all \(revisions) revisions (pages of 1000) | \(full.samples.count) | \(ms(full.median)) | \(ms(full.p99)) |")
    json.write(["bench": "history", "op": "first50", "revisions": revisions, "p50_ms": first.median * 1000, "p99_ms": first.p99 * 1000, "samples": first.samples.count])
    json.write(["bench": "history", "op": "full", "revisions": revisions, "p50_ms": full.median * 1000, "p99_ms": full.p99 * 1000, "samples": full.samples.count])
}
