import Foundation
import Logging
import Synchronization
import FolioSupport

/// Log lines on standard error in swift-log's usual layout — `<time> <level> <label>: <metadata> [<source>]
/// <message>` — built cheaply. `folio serve` logs a line per request, and the stock stream handler's
/// per-line time zone lookup and formatting, metadata merging and stdio locking took about a quarter of
/// the server's throughput on small loads. Each line is written whole with one write(2), so lines from
/// concurrent requests never interleave.
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    private let label: String

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = LineLogHandler.timestamp()
        line += " \(event.level) \(label):"
        for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
        line += " [\(event.source)] \(event.message)\n"
        // One write(2) per line; if standard error is gone there is nothing better to do with the line.
        try? DurableFile.writeAll(Array(line.utf8), to: 2, path: "standard error")
    }

    /// UTC time to the second, formatted once per second and shared by every line in it.
    private static let clock = Mutex<(second: Int, text: String)>((-1, ""))

    private static func timestamp() -> String {
        let now = time(nil)
        return clock.withLock { cached in
            if cached.second != now {
                var parts = tm()
                var seconds = now
                gmtime_r(&seconds, &parts)
                var buffer = [CChar](repeating: 0, count: 32)
                let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S+0000", &parts)
                cached = (now, String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return cached.text
        }
    }
}
