import FolioStore
import Foundation
import FolioSupport

// Load and diff latency by document size: 1 KB, 100 KB, 1 MB and 5 MB PRDs, two revisions each, where the
// second revision edits ten lines spread through the document and appends one.

struct SizedDocument {
    var label: String
    var bytes: Int
    var name: String
}

let sizedDocuments = [
    SizedDocument(label: "1 KB", bytes: 1024, name: "doc1k"),
    SizedDocument(label: "100 KB", bytes: 100 * 1024, name: "doc100k"),
    SizedDocument(label: "1 MB", bytes: 1024 * 1024, name: "doc1m"),
    SizedDocument(label: "5 MB", bytes: 5 * 1024 * 1024, name: "doc5m"),
]

/// Deterministic markdown-like text of about `bytes` bytes: a heading every 20 lines, ~80-character lines.
func documentText(bytes: Int) -> [String] {
    let words = ["planner", "revision", "checkout", "scope", "customer", "latency", "release", "metric", "goal",
                 "feature", "review", "owner", "milestone", "risk", "launch", "budget", "team", "document",
                 "version", "store", "history", "compare", "restore", "draft", "approve", "summary"]
    var lines: [String] = ["# Product requirements"]
    var total = lines[0].utf8.count + 1
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: state >> 33)
    }
    while total < bytes {
        var line: String
        if lines.count % 20 == 0 {
            line = "## Section \(lines.count / 20)"
        } else {
            line = ""
            while line.utf8.count < 72 { line += (line.isEmpty ? "" : " ") + words[next() % words.count] }
            line += "."
        }
        lines.append(line)
        total += line.utf8.count + 1
    }
    return lines
}

/// The second revision: ten lines spread evenly through the text edited, and one line appended.
func editedText(_ lines: [String]) -> [String] {
    var edited = lines
    let step = max(1, lines.count / 10)
    for index in stride(from: step / 2, to: lines.count, by: step) {
        edited[index] = edited[index].replacingOccurrences(of: "e", with: "E") + " (edited)"
    }
    edited.append("Appended in the second revision.")
    return edited
}

/// Samples of `body`, at most `runs` of them and stopping after `seconds` (at least 3 samples).
func sampled(runs: Int, seconds: Double, _ body: () throws -> Void) rethrows -> Stats {
    var samples: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < runs {
        samples.append(try time(body))
        if samples.count >= 3, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > seconds { break }
    }
    return Stats(samples: samples)
}

/// Saves both revisions of every sized document; returns (document, from commit, to commit).
func seedSizes(_ store: DocumentStore) async throws -> [(SizedDocument, ObjectID, ObjectID)] {
    var seeded: [(SizedDocument, ObjectID, ObjectID)] = []
    for document in sizedDocuments {
        let key = try FileKey(projectID: "sizes", fileType: .prd, name: document.name)
        let first = documentText(bytes: document.bytes)
        let a = try await store.save(key, content: first.joined(separator: "\n") + "\n", metadata: ["prd_id": .int(1)], updatedBy: "alice")
        let b = try await store.save(key, content: editedText(first).joined(separator: "\n") + "\n", metadata: ["prd_id": .int(1)], updatedBy: "bob")
        seeded.append((document, a.commit, b.commit))
    }
    return seeded
}

@MainActor func benchSizes(_ options: Options, json: JSONLines) async throws {
    let (store, folder) = try freshStore("sizes")
    let seeded = try await seedSizes(store)
    let budget = options.quick ? 2.0 : 8.0
    emit("### Load and diff latency by document size (in-process)")
    emit("")
    emit("Two revisions per document; the second edits ten lines spread through it and appends one. Each row: up to N samples or \(Int(budget)) s, whichever comes first (samples column).")
    emit("")
    emit("| size | operation | samples | p50 | p99 |")
    emit("|---|---|---:|---:|---:|")
    for (document, from, to) in seeded {
        let key = try FileKey(projectID: "sizes", fileType: .prd, name: document.name)
        let big = document.bytes > 1_000_000
        let rows: [(String, Int, () throws -> Void)] = [
            ("load current", big ? 200 : 2000, { _ = try store.load(key) }),
            ("load at the older revision", big ? 200 : 1000, { _ = try store.load(key, at: from) }),
            ("diff (line)", big ? 50 : 500, { _ = try store.diff(key, from: from, to: to) }),
            ("diff (word)", big ? 10 : 300, { _ = try store.diff(key, from: from, to: to, mode: .word) }),
        ]
        for (label, runs, body) in rows {
            let stats = try sampled(runs: options.quick ? max(3, runs / 10) : runs, seconds: budget, body)
            emit("| \(document.label) | \(label) | \(stats.samples.count) | \(ms(stats.median)) | \(ms(stats.p99)) |")
            json.write(["bench": "sizes", "size": document.label, "op": label, "samples": stats.samples.count,
                        "p50_ms": stats.median * 1000, "p99_ms": stats.p99 * 1000])
        }
    }
    emit("")
    store.close()
    try? FileManager.default.removeItem(atPath: folder)
}

/// `seed-sizes --dir D --out FILE`: the sized documents in a store at D, for the HTTP measurements.
func seedSizesCommand(_ options: Options) async throws {
    let folder = options.require("dir")
    let store = try openStore(folder: folder)
    let seeded = try await seedSizes(store)
    store.close()
    let rows: [[String: Any]] = seeded.map { document, from, to in
        // Commit ids as the API takes them: hex text.
        ["label": document.label, "bytes": document.bytes, "project": "sizes", "name": document.name, "from": from.hex, "to": to.hex]
    }
    let data = try JSONSerialization.data(withJSONObject: ["documents": rows], options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: options.require("out")))
}
