import FolioStore
import Foundation
import Hummingbird
import Logging

/// A project's files at a commit as one download: `GET /api/projects/{pid}/export/?at=&format=`.
///
/// The archive holds the envelopes (the exact bytes git holds) at their paths in git
/// (`{pid}/prd/main_prd.json`, …), as `git archive COMMIT {pid}/` would. It is streamed: each file is
/// read from git and written to the connection in turn, so a large project never sits in memory whole.
struct ExportController {
    let store: DocumentStore

    /// Routes relative to `/api/projects/{pid}`; the literal `export` wins over the `{type}` routes.
    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get("export", use: export)
    }

    @Sendable func export(request: Request, context: FolioRequestContext) async throws -> Response {
        let projectID = try context.pathParameter("pid")
        let format = try request.query("format").map { try ArchiveFormat.parse($0) } ?? .tarGzip
        let at = try request.query("at").map { try store.commitID($0, field: "at") }
        // Every refusal (bad project, unknown commit, no files there) happens here, before the reply starts.
        let archive = try store.export(projectID: projectID, at: at, format: format)
        var headers = JSONReply.commonHeaders
        headers[.contentType] = format.contentType
        headers[.contentDisposition] = "attachment; filename=\"\(archive.fileName)\""
        let logger = context.logger
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                for try await chunk in archive {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
            } catch {
                // The status is sent; the client sees the body end early (the chunked encoding is not
                // finished) and the log says why.
                logger.error("export failed midway", metadata: ["project": "\(projectID)", "commit": "\(archive.commit)", "error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        })
    }
}
