import FolioStore
import Foundation
import Hummingbird

/// Several files of a project saved (or deleted) as one commit: `POST /api/projects/{pid}/batch/`.
///
/// The body is `{"updated_by", "email"?, "message"?, "files": [{"type", "name"?, "content", "metadata"?,
/// "base_commit"?} or {"type", "name"?, "delete": true}]}`; the reply lists each file's result in the
/// single-save shape plus the commit. A bad entry gets a 4xx naming it (`files[INDEX]`), a conflict 409
/// with the current version as a single save gives it, and in both cases nothing is written.
struct BatchController {
    let store: DocumentStore
    let configuration: ServerConfiguration

    /// Routes relative to `/api/projects/{pid}`; the literal `batch` wins over the `{type}` routes.
    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .post("batch", use: save)
    }

    @Sendable func save(request: Request, context: FolioRequestContext) async throws -> Response {
        let body: JSONBody
        do {
            body = try await JSONBody.read(request, limit: configuration.maxBatchBodyBytes)
        } catch let error as APIError where error.status == .contentTooLarge {
            throw APIError(StoreError(
                .tooLarge,
                "the request body is over \(configuration.maxBatchBodyBytes) bytes; a batch's files may hold at most \(configuration.maxBatchContentBytes) bytes of content in all (FOLIO_MAX_BATCH_BYTES)",
                field: "body"))
        }
        let projectID = try context.pathParameter("pid")
        // A `:person` token's holder is the author, whatever updated_by says (as for single saves).
        let updatedBy: String
        if let caller = context.caller, caller.person {
            updatedBy = caller.name
        } else {
            updatedBy = try body.requireString("updated_by", "the name of the user saving")
        }
        let entries: [JSONValue]
        switch body.fields["files"] {
        case .array(let items)?: entries = items
        case nil, .null?: throw APIError.invalid("files", "files is required: a list of {type, name, content, metadata, base_commit} or {type, name, delete: true}")
        case let other?: throw APIError.invalid("files", "files must be a list, not \(other.kindDescription)")
        }
        // Checked before parsing the entries, so an oversized list costs no more than reading it.
        guard entries.count <= DocumentStore.maxBatchFiles else {
            throw APIError.invalid("files", "files names \(entries.count) files; a batch saves at most \(DocumentStore.maxBatchFiles)")
        }
        var files: [BatchFile] = []
        for (index, entry) in entries.enumerated() {
            files.append(try inEntry(index) { try file(entry) })
        }
        let result = try await store.saveBatch(
            projectID: projectID, files: files, updatedBy: updatedBy, email: body.string("email"), message: body.string("message"),
            token: context.caller?.name)
        return try JSONReply.response(result)
    }

    /// One entry of `files`, read as a single save's body is.
    private func file(_ entry: JSONValue) throws -> BatchFile {
        guard let fields = entry.objectValue else {
            throw APIError.invalid("files", "each file must be a JSON object, not \(entry.kindDescription)")
        }
        let object = JSONBody(fields: fields)
        let type = try FileType.parse(object.requireString("type", "prd or implementation"))
        let name = try object.string("name")
        let delete: Bool
        switch fields["delete"] {
        case nil, .null?: delete = false
        case .bool(let value)?: delete = value
        case let other?: throw APIError.invalid("delete", "delete must be true or false, not \(other.kindDescription)")
        }
        if delete { return .delete(type: type, name: name) }
        let content = try object.requireString("content", "the document text (or \"delete\": true to delete the file)")
        let base = try object.string("base_commit").map { try store.commitID($0, field: "base_commit") }
        return BatchFile(type: type, name: name, content: content, metadata: try object.object("metadata") ?? [:], baseCommit: base)
    }

    /// Runs `body` for entry `index`, so that its errors name the entry (`files[INDEX]`).
    private func inEntry<T>(_ index: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error.inBatchFile(index)
        } catch var error as APIError {
            let entry = "files[\(index)]"
            error.message = "\(entry): \(error.message)"
            error.field = error.field.map { $0 == "files" ? entry : "\(entry).\($0)" } ?? entry
            throw error
        }
    }
}
