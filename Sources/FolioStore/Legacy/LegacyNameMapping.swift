import Foundation

/// The rule that turns names the old app allowed into names Folio's keys accept (README, "Migrating
/// from the old system"). Applied to the rows of one project and type together, since whether a mapped
/// name collides depends on its neighbours:
///
/// 1. A name Folio accepts is kept as it is.
/// 2. Otherwise every character other than ASCII letters, digits, `.`, `-` and `_` becomes `_`, a
///    leading `.` becomes `_`, and the result is cut to 128 bytes; an empty name becomes the type's
///    default name (`main_prd`, `implementation_plan`).
/// 3. A mapped name equal to another row's final name gets `-{row id}` appended (cut to fit 128 bytes).
enum LegacyNameMapping {
    /// One row's name before and after.
    struct Named: Sendable, Equatable {
        var original: String
        var name: String
        var mapped: Bool { original != name }
    }

    /// Final names for rows `(id, name)` of one project and type, in the same order.
    static func assign(_ rows: [(id: String, name: String)], type: FileType) -> [Named] {
        let kept = Set(rows.map(\.name).filter(isValid))
        var taken = kept
        var result: [Named] = []
        for row in rows {
            if isValid(row.name) {
                result.append(Named(original: row.name, name: row.name))
                continue
            }
            var name = mapped(row.name, type: type)
            if taken.contains(name) {
                // Mapped names are ASCII, so characters are bytes here.
                let suffix = "-" + mapped(row.id, type: type)
                name = String(name.prefix(128 - suffix.count)) + suffix
            }
            taken.insert(name)
            result.append(Named(original: row.name, name: name))
        }
        return result
    }

    static func isValid(_ name: String) -> Bool {
        (try? FileKey.validateName(name)) != nil
    }

    /// Rule 2 alone.
    static func mapped(_ name: String, type: FileType) -> String {
        var scalars = name.unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "-" || scalar == "_")
            return allowed ? Character(scalar) : "_"
        }
        if scalars.first == "." { scalars[0] = "_" }
        let text = String(scalars.prefix(128))
        return text.isEmpty ? type.defaultName : text
    }
}
