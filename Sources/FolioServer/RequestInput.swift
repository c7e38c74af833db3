import FolioStore
import Foundation
import Hummingbird
import FolioSupport

extension Request {
    /// A query parameter, percent-decoded; nil when absent.
    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }

    /// An optional whole-number query parameter, refused with a message naming it when it is not one.
    func queryInt(_ name: String) throws -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text) else {
            throw APIError.invalid(name, "\(name) '\(text.prefix(40))' is not a whole number")
        }
        return value
    }

    /// A required query parameter.
    func requireQuery(_ name: String, _ meaning: String) throws -> String {
        guard let value = query(name), !value.isEmpty else {
            throw APIError.invalid(name, "the \(name) query parameter is required: \(meaning)")
        }
        return value
    }

    /// The tags of the `If-Match` header; nil when absent.
    var ifMatchTags: [String]? { Request.entityTags(headers[values: .ifMatch]) }

    /// The tags of the `If-None-Match` header; nil when absent.
    var ifNoneMatchTags: [String]? { Request.entityTags(headers[values: .ifNoneMatch]) }

    /// The commit ids an `If-Match` or `If-None-Match` header names: quoted or bare, weak (`W/`)
    /// marks dropped, `*` kept; nil when the header is absent.
    static func entityTags(_ values: [String]) -> [String]? {
        guard !values.isEmpty else { return nil }
        return values.flatMap { $0.split(separator: ",") }.map { item in
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") { tag = String(tag.dropFirst().dropLast()) }
            return tag.lowercased()
        }
    }
}

extension FolioRequestContext {
    /// A path parameter, percent-decoded, so an encoded `..` or `/` reaches validation as what it is.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// The file a document route names: project and type from the path, `name` from the argument or
    /// the query, else the type's default name.
    func fileKey(_ request: Request, name: String? = nil) throws -> FileKey {
        let type = try FileType.parse(pathParameter("type"))
        return try FileKey(projectID: pathParameter("pid"), fileType: type, name: name ?? request.query("name") ?? type.defaultName)
    }
}

/// An entity tag for a commit, quoted as HTTP wants it.
func entityTag(_ commit: ObjectID) -> String { "\"\(commit.hex)\"" }

extension [String] {
    /// True when these `If-Match` / `If-None-Match` tags name `commit` (or are `*` and there is one).
    func names(_ commit: ObjectID?) -> Bool {
        guard let commit else { return false }
        return contains("*") || contains(commit.hex)
    }
}
