import Foundation

/// The two kinds of planning document Folio stores.
public enum FileType: String, Sendable, Codable, CaseIterable {
    case prd
    case implementation

    /// The name a file of this type gets when the caller names none.
    public var defaultName: String {
        switch self {
        case .prd: return "main_prd"
        case .implementation: return "implementation_plan"
        }
    }

    /// Parses a type, with an error that lists the allowed ones.
    public static func parse(_ text: String, field: String = "type") throws -> FileType {
        guard let type = FileType(rawValue: text) else {
            throw StoreError.invalid(field, "\(field) '\(text.prefix(40))' is not a file type; use 'prd' or 'implementation'")
        }
        return type
    }
}

/// A file's identity: `{project_id}/{file_type}/{name}.json`, the same string as its path in git and
/// its key in the mirror. Construction validates every part, so a `FileKey` is always safe to use as a
/// path (no `..`, no slashes inside a part, no control characters).
public struct FileKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The project, 1–64 letters, digits, `-` or `_` (UUIDs fit).
    public let projectID: String
    /// PRD or implementation plan.
    public let fileType: FileType
    /// The document's name, 1–128 letters, digits, `.`, `-` or `_`, not starting with `.`.
    public let name: String

    /// Validates the parts; throws `invalid_input` naming the part at fault and what is allowed.
    public init(projectID: String, fileType: FileType, name: String) throws {
        try FileKey.validateProjectID(projectID)
        try FileKey.validateName(name)
        self.projectID = projectID
        self.fileType = fileType
        self.name = name
    }

    /// Parses `{project_id}/{file_type}/{name}.json`.
    public init(parsing key: String) throws {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasSuffix(".json"), parts[2].count > 5 else {
            throw StoreError.invalid("key", "'\(key.prefix(80))' is not a file key; keys look like PROJECT/prd/NAME.json or PROJECT/implementation/NAME.json")
        }
        try self.init(projectID: String(parts[0]), fileType: FileType.parse(String(parts[1])), name: String(parts[2].dropLast(5)))
    }

    /// The key string and git path.
    public var path: String { "\(projectID)/\(fileType.rawValue)/\(name).json" }

    /// The key string.
    public var description: String { path }

    /// Orders keys by their path.
    public static func < (lhs: FileKey, rhs: FileKey) -> Bool { lhs.path < rhs.path }

    static func validateProjectID(_ value: String) throws {
        guard !value.isEmpty else { throw StoreError.invalid("project_id", "project_id is empty; use 1-64 letters, digits, '-' or '_'") }
        guard value.utf8.count <= 64 else {
            throw StoreError.invalid("project_id", "project_id is \(value.utf8.count) bytes long; at most 64 letters, digits, '-' or '_' are allowed")
        }
        guard value.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            throw StoreError.invalid("project_id", "project_id '\(printable(value))' has a character that is not allowed; use letters, digits, '-' or '_'")
        }
    }

    static func validateName(_ value: String) throws {
        guard !value.isEmpty else { throw StoreError.invalid("name", "name is empty; use 1-128 letters, digits, '.', '-' or '_'") }
        guard value.utf8.count <= 128 else {
            throw StoreError.invalid("name", "name is \(value.utf8.count) bytes long; at most 128 letters, digits, '.', '-' or '_' are allowed")
        }
        guard value.first != "." else {
            throw StoreError.invalid("name", "name '\(printable(value))' starts with '.'; names may not start with a dot")
        }
        guard value.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            throw StoreError.invalid("name", "name '\(printable(value))' has a character that is not allowed; use letters, digits, '.', '-' or '_'")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }

    /// Shortens and escapes a rejected value so an error message stays one readable line.
    static func printable(_ value: String) -> String {
        let clipped = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return clipped.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }
}
