import Foundation

/// Text forms PostgreSQL parses: array literals for `= ANY($1::text[])` and `unnest` parameters, and
/// quoted identifiers for table and column names that come from configuration rather than code.
public enum PostgresText {
    /// `["a", nil, "b\"c"]` → `{"a",NULL,"b\"c"}`: every element quoted, so commas, braces, spaces
    /// and the word NULL inside values stay values.
    public static func arrayLiteral(_ values: [String?]) -> String {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            guard let value else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in value {
                if character == "\"" || character == "\\" { text += "\\" }
                text.append(character)
            }
            text += "\""
        }
        return text + "}"
    }

    /// `projects_projectprd` → `"projects_projectprd"`, `app.table` → `"app"."table"`: a name as an
    /// identifier, never as SQL.
    public static func identifier(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false)
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: ".")
    }
}
