import FolioStore
import Foundation

/// The UI's URLs, built in one place so every page links the same way.
enum UIPaths {
    /// A path segment, percent-encoded (ids and names are validated to be URL-safe already; this keeps
    /// that from being an assumption).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? ""
    }

    /// A query value, percent-encoded.
    static func query(_ text: String) -> String { UIMiddleware.queryEscaped(text) }

    /// The file's page.
    static func file(_ key: FileKey) -> String {
        "/ui/projects/\(segment(key.projectID))/\(key.fileType.rawValue)/\(segment(key.name))"
    }
}
