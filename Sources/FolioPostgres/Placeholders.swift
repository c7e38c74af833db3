/// Rewrites `?` placeholders (the dialect SQLite and the shared catalog SQL use) to PostgreSQL's `$1, $2, …`.
/// Question marks inside single-quoted literals, double-quoted identifiers and comments are left alone.
public func numberedPlaceholders(_ sql: String) -> String {
    var output = ""
    output.reserveCapacity(sql.utf8.count + 16)
    var number = 0
    var quote: Character?
    var lineComment = false
    var previous: Character?
    for character in sql {
        if lineComment {
            if character == "\n" { lineComment = false }
        } else if let open = quote {
            if character == open { quote = nil }
        } else if character == "'" || character == "\"" {
            quote = character
        } else if character == "-" && previous == "-" {
            lineComment = true
        } else if character == "?" {
            number += 1
            output += "$\(number)"
            previous = character
            continue
        }
        output.append(character)
        previous = character
    }
    return output
}
