import Foundation

/// Parses the two date formats S3 sends, by hand, since `DateFormatter` instances are not
/// safe to share across the threads that call one client.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (the `Last-Modified` header).
    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int(parts[1]),
            let month = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return date(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2], fraction: 0)
    }

    /// `2024-01-02T03:04:05.000Z` (listing `LastModified`), fraction optional.
    static func parseISO8601(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix("Z") else { return nil }
        let body = trimmed.dropLast()
        let halves = body.split(separator: "T")
        guard halves.count == 2 else { return nil }
        let dateParts = halves[0].split(separator: "-").compactMap { Int($0) }
        let timeAndFraction = halves[1].split(separator: ".", maxSplits: 1)
        let timeParts = timeAndFraction[0].split(separator: ":").compactMap { Int($0) }
        guard dateParts.count == 3, timeParts.count == 3 else { return nil }
        var fraction = 0.0
        if timeAndFraction.count == 2 {
            guard let value = Double("0." + timeAndFraction[1]) else { return nil }
            fraction = value
        }
        return date(year: dateParts[0], month: dateParts[1], day: dateParts[2], hour: timeParts[0], minute: timeParts[1], second: timeParts[2], fraction: fraction)
    }

    private static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, fraction: Double) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        guard seconds != -1 else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
