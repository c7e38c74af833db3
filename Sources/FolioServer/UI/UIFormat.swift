import Foundation

/// How the UI writes times and sizes for people.
enum UIFormat {
    /// "3 minutes ago", "2 days ago"; the exact time goes in the element's title (see `exact`).
    static func relative(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "—" }
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 0 { return "just now" }
        func ago(_ value: Int, _ unit: String) -> String { "\(value) \(unit)\(value == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<45: return "just now"
        case ..<3600: return ago(max(1, seconds / 60), "minute")
        case ..<86_400: return ago(seconds / 3600, "hour")
        case ..<(86_400 * 30): return ago(seconds / 86_400, "day")
        case ..<(86_400 * 365): return ago(seconds / (86_400 * 30), "month")
        default: return ago(seconds / (86_400 * 365), "year")
        }
    }

    /// The exact time in UTC, ISO 8601 (the script turns it into the reader's local time).
    static func exact(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(.iso8601)
    }

    /// "812 B", "14.2 KB", "5.0 MB".
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KB", Double(bytes) / 1024) }
        return String(format: "%.1f MB", Double(bytes) / (1024 * 1024))
    }

    /// "+120 B", "−3.1 KB", "±0".
    static func sizeChange(_ delta: Int) -> String {
        if delta == 0 { return "±0" }
        return (delta > 0 ? "+" : "−") + size(abs(delta))
    }
}
