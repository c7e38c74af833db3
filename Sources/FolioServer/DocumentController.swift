import FolioStore
import Foundation
import Hummingbird
import FolioSupport

/// One document and its history: load, save, delete, history, a revision, diff, blame, restore and a
/// presigned URL, under `/api/projects/{pid}/{type}/`.
struct DocumentController {
    let store: DocumentStore
    let configuration: ServerConfiguration
    /// Encoded load replies (see `ReplyCache`).
    let replies: ReplyCache

    init(store: DocumentStore, configuration: ServerConfiguration) {
        self.store = store
        self.configuration = configuration
        self.replies = ReplyCache(capacity: configuration.replyCacheBytes)
    }

    /// Delete and restore bodies carry a few names and a message, never content.
    static let smallBodyLimit = 64 * 1024

    /// Routes relative to `/api/projects/{pid}`; the router ignores a trailing slash, so `…/prd/` and
    /// `…/prd` reach the same handler.
    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get(":type", use: load)
            .post(":type", use: save)
            .delete(":type", use: delete)
            .get(":type/history", use: history)
            .get(":type/revisions/:commit", use: revision)
            .get(":type/diff", use: diff)
            .get(":type/blame", use: blame)
            .post(":type/restore", use: restore)
            .get(":type/url", use: presignedURL)
    }

    @Sendable func load(request: Request, context: FolioRequestContext) async throws -> Response {
        let key = try context.fileKey(request)
        let document = try store.load(key)
        var headers = HTTPFields()
        guard let commit = document.commit else {
            return try JSONReply.response(DocumentReply(document: document), headers: headers)
        }
        headers[.eTag] = entityTag(commit)
        if let tags = request.ifNoneMatchTags, tags.names(commit) {
            return Response(status: .notModified, headers: headers)
        }
        if let cached = replies.reply(key: key.path, commit: commit) {
            return JSONReply.bytes(cached, contentType: JSONReply.contentType, headers: headers)
        }
        let data = try JSONReply.encode(DocumentReply(document: document))
        replies.store(data, key: key.path, commit: commit)
        return JSONReply.bytes(data, contentType: JSONReply.contentType, headers: headers)
    }

    @Sendable func save(request: Request, context: FolioRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: configuration.maxBodyBytes, contentLimit: configuration.maxContentBytes)
        let key = try context.fileKey(request, name: body.string("name"))
        let content = try body.requireString("content", "the document text")
        let updatedBy = try author(context) ?? body.requireString("updated_by", "the name of the user saving")
        let metadata = try body.object("metadata") ?? [:]
        let message = try body.string("message")
        let email = try body.string("email")
        var baseCommit = try body.string("base_commit").map { try store.commitID($0, field: "base_commit") }
        if let tags = request.ifMatchTags {
            let current = try currentCommit(key)
            if !tags.names(current) {
                // With base_commit the client asked for a merge against newer versions; without it the
                // stale If-Match is a plain refusal.
                guard baseCommit != nil else { throw APIError.stale(key, currentCommit: current) }
            } else if baseCommit == nil, let current {
                // A save that lands between this check and the commit is merged (or refused as a
                // conflict) instead of being overwritten.
                baseCommit = current
            }
        }
        let result = try await store.save(
            key, content: content, metadata: metadata, updatedBy: updatedBy, email: email, message: message, baseCommit: baseCommit,
            token: context.caller?.name)
        return try JSONReply.response(result, status: result.created ? .created : .ok, headers: [.eTag: entityTag(result.commit)])
    }

    @Sendable func delete(request: Request, context: FolioRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: DocumentController.smallBodyLimit, optional: true)
        let key = try context.fileKey(request, name: body.string("name"))
        let named = try author(context) ?? body.string("updated_by") ?? request.query("updated_by") ?? context.caller?.name
        guard let updatedBy = named else {
            throw APIError.invalid("updated_by", "updated_by is required (as a query parameter or in a JSON body): the name of the user deleting")
        }
        if let tags = request.ifMatchTags {
            let current = try currentCommit(key)
            guard tags.names(current) else { throw APIError.stale(key, currentCommit: current) }
        }
        let result = try await store.delete(
            key, by: updatedBy, message: body.string("message") ?? request.query("message"), token: context.caller?.name)
        return try JSONReply.response(result)
    }

    @Sendable func history(request: Request, context: FolioRequestContext) async throws -> Response {
        let key = try context.fileKey(request)
        let page = try store.history(key, limit: request.queryInt("limit") ?? 50, cursor: request.query("cursor"))
        return try JSONReply.response(HistoryReply(key: key, page: page))
    }

    @Sendable func revision(request: Request, context: FolioRequestContext) async throws -> Response {
        let key = try context.fileKey(request)
        let document = try store.load(key, at: store.commitID(context.pathParameter("commit"), field: "commit"))
        var headers = HTTPFields()
        if let commit = document.commit { headers[.eTag] = entityTag(commit) }
        return try JSONReply.response(DocumentReply(document: document), headers: headers)
    }

    @Sendable func diff(request: Request, context: FolioRequestContext) async throws -> Response {
        let key = try context.fileKey(request)
        let from = try store.commitID(request.requireQuery("from", "the older commit"), field: "from")
        let modeText = request.query("mode") ?? "line"
        guard let mode = DocumentDiff.Mode(rawValue: modeText) else {
            throw APIError.invalid("mode", "mode '\(modeText.prefix(40))' is not known; use 'line' or 'word'")
        }
        let format = request.query("format") ?? "unified"
        guard format == "unified" || format == "json" else {
            throw APIError.invalid("format", "format '\(format.prefix(40))' is not known; use 'unified' or 'json'")
        }
        let to = try request.query("to").map { try store.commitID($0, field: "to") }
        let diff = try store.diff(key, from: from, to: to, mode: mode)
        if format == "json" { return try JSONReply.response(DiffReply(diff)) }
        return JSONReply.bytes(Data(diff.text.utf8), contentType: "text/x-diff; charset=utf-8")
    }

    @Sendable func blame(request: Request, context: FolioRequestContext) async throws -> Response {
        let key = try context.fileKey(request)
        let at = try request.query("at").map { try store.commitID($0, field: "at") }
        return try JSONReply.response(BlameReply(store.blame(key, at: at)))
    }

    @Sendable func restore(request: Request, context: FolioRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: DocumentController.smallBodyLimit)
        let key = try context.fileKey(request, name: body.string("name"))
        let commit = try store.commitID(body.requireString("commit", "the revision to make current again"), field: "commit")
        let updatedBy = try author(context) ?? body.requireString("updated_by", "the name of the user restoring")
        let result = try await store.restore(
            key, commit: commit, by: updatedBy, email: body.string("email"), message: body.string("message"), token: context.caller?.name)
        return try JSONReply.response(result, headers: [.eTag: entityTag(result.commit)])
    }

    @Sendable func presignedURL(request: Request, context: FolioRequestContext) async throws -> Response {
        let key = try context.fileKey(request)
        let signed = try store.presignedURL(for: key, expires: request.queryInt("expires"))
        return try JSONReply.response(PresignReply(url: absolute(signed.url, request: request), expires_at: signed.expiresAt))
    }

    /// A `:person` token's holder is the author of everything saved with it, whatever `updated_by` says;
    /// other tokens (an app saving for many users) pass `updated_by` through.
    private func author(_ context: FolioRequestContext) -> String? {
        guard let caller = context.caller, caller.person else { return nil }
        return caller.name
    }

    /// The commit of the file's current version; nil when the file does not exist (or is legacy content).
    private func currentCommit(_ key: FileKey) throws -> ObjectID? {
        do {
            return try store.load(key).commit
        } catch let error as StoreError where error.code == .notFound {
            return nil
        }
    }

    /// Folio's URLs are paths; they are made absolute with `FOLIO_PUBLIC_URL`, or with the request's Host
    /// when it is one `FOLIO_ALLOWED_HOSTS` lists — never with just any Host a client sends, which would
    /// let it point the link at a server of its choosing. Otherwise the path is returned as a relative
    /// reference, which clients resolve against the address they asked.
    private func absolute(_ url: String, request: Request) -> String {
        guard url.hasPrefix("/") else { return url }
        if let base = configuration.publicURL { return base + url }
        if let authority = request.head.authority?.lowercased(), configuration.allowedHosts.contains(authority) {
            return "http://\(authority)\(url)"
        }
        return url
    }
}
