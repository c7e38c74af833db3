import FolioStore
import Hummingbird

/// A project's files: `GET /api/projects/{pid}/files/?type=`.
struct ProjectController {
    let store: DocumentStore

    /// Routes relative to `/api/projects/{pid}`; the literal `files` wins over the `{type}` routes.
    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get("files", use: files)
    }

    @Sendable func files(request: Request, context: FolioRequestContext) async throws -> Response {
        let projectID = try context.pathParameter("pid")
        let type = try request.query("type").map { try FileType.parse($0) }
        let records = try store.list(projectID: projectID, type: type)
        return try JSONReply.response(FileListReply(project_id: projectID, files: records.map { .init(record: $0) }))
    }
}
