import FolioStore
import Foundation
import Hummingbird

/// Serves Folio's presigned URLs, `/files/{project}/{type}/{name}.json?commit=&expires=&signature=`:
/// the signature is the credential, so these routes sit outside bearer authentication. A wrong,
/// tampered or expired signature gets 403 before anything is read.
struct FileController {
    let store: DocumentStore

    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get(":project/:type/:file", use: download)
    }

    @Sendable func download(request: Request, context: FolioRequestContext) async throws -> Response {
        let keyPath = try "\(context.pathParameter("project"))/\(context.pathParameter("type"))/\(context.pathParameter("file"))"
        let data = try store.readPresigned(
            keyPath: keyPath, commit: request.query("commit") ?? "", expires: request.query("expires") ?? "", signature: request.query("signature") ?? "")
        // The URL grants access until it expires; shared caches must not keep the bytes beyond that.
        return JSONReply.bytes(data, contentType: "application/json; charset=utf-8", headers: [.cacheControl: "private, no-store"])
    }
}
