import Foundation

/// Summary statistics of repeated timings.
struct Stats {
    var samples: [Double]

    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded())))
        return sorted[rank]
    }

    var median: Double { percentile(50) }
    var p99: Double { percentile(99) }
}

/// Seconds taken by `body`.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Seconds taken by async `body`.
func timeAsync(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Milliseconds with sensible precision.
func ms(_ seconds: Double) -> String {
    let value = seconds * 1000
    return value < 1 ? String(format: "%.3f ms", value) : String(format: "%.2f ms", value)
}
