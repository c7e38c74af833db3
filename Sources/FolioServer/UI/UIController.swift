import FolioStore
import Foundation
import Hummingbird

/// The web UI under `/ui`: projects, a project's files, a file with its history, compare, blame,
/// restore, and sign-in. Pages are rendered on the server from templates; every link is a plain URL, so
/// pages can be bookmarked and the back button works.
struct UIController {
    let store: DocumentStore
    let renderer: UIRenderer
    let sessions: UISessions
    let tokens: [APIToken]
    let middleware: UIMiddleware

    /// Form bodies carry a few short fields.
    static let formLimit = 64 * 1024

    var endpoints: RouteCollection<FolioRequestContext> {
        RouteCollection(context: FolioRequestContext.self)
            .get(use: projects)
            .get("static/:file", use: asset)
            .get("signin", use: signInPage)
            .post("signin", use: signIn)
            .post("signout", use: signOut)
            .get("projects/:pid", use: project)
            .get("projects/:pid/:type/:name", use: file)
            .get("projects/:pid/:type/:name/compare", use: compare)
            .get("projects/:pid/:type/:name/blame", use: blame)
            .get("projects/:pid/:type/:name/restore", use: confirmRestore)
            .post("projects/:pid/:type/:name/restore", use: restore)
    }

    @Sendable func asset(request: Request, context: FolioRequestContext) async throws -> Response {
        guard let asset = renderer.assets[try context.pathParameter("file")] else {
            throw APIError(.notFound, code: "not_found", "no such file")
        }
        // Static files change only with a new build; an hour of caching spares the reloads.
        return Response(
            status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: asset.bytes))
    }

    @Sendable func projects(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let projects = try store.projects().map {
            ProjectsPage.Project(
                id: $0.id, href: "/ui/projects/" + UIPaths.segment($0.id), files: $0.files, relative: UIFormat.relative($0.updatedAt),
                exact: UIFormat.exact($0.updatedAt))
        }
        return try renderer.page("projects", ProjectsPage(chrome: PageChrome("Projects", visitor: visitor), projects: projects, empty: projects.isEmpty))
    }

    @Sendable func project(request: Request, context: FolioRequestContext) async throws -> Response {
        let visitor = try context.requireVisitor()
        let projectID = try context.pathParameter("pid")
        func row(_ record: DocumentRecord, deleted: Bool) -> ProjectPage.File {
            let when = deleted ? record.deletedAt : record.updatedAt
            return ProjectPage.File(
                type: record.key.fileType.rawValue, name: record.key.name, href: UIPaths.file(record.key), author: record.updatedBy ?? "—",
                relative: UIFormat.relative(when), exact: UIFormat.exact(when), size: UIFormat.size(record.size))
        }
        let live = try store.list(projectID: projectID).map { row($0, deleted: false) }
        let deleted = try store.deletedFiles(projectID: projectID).map { row($0, deleted: true) }
        let chrome = PageChrome(projectID, crumbs: [.init(name: "Projects", href: "/ui/")], visitor: visitor)
        return try renderer.page(
            "project", ProjectPage(chrome: chrome, project: projectID, files: live, deleted: deleted, noFiles: live.isEmpty, hasDeleted: !deleted.isEmpty))
    }

    /// The file a `/ui/projects/{pid}/{type}/{name}` route names.
    func fileKey(_ context: FolioRequestContext) throws -> FileKey {
        try FileKey(projectID: context.pathParameter("pid"), fileType: FileType.parse(context.pathParameter("type")), name: context.pathParameter("name"))
    }

    /// The crumbs above a file's pages.
    func crumbs(_ key: FileKey, file: Bool = true) -> [PageChrome.Crumb] {
        var crumbs: [PageChrome.Crumb] = [.init(name: "Projects", href: "/ui/"), .init(name: key.projectID, href: "/ui/projects/" + UIPaths.segment(key.projectID))]
        if file { crumbs.append(.init(name: "\(key.fileType.rawValue)/\(key.name)", href: UIPaths.file(key))) }
        return crumbs
    }
}

extension FolioRequestContext {
    /// The visitor `UIMiddleware` found; every `/ui` route runs behind it.
    func requireVisitor() throws -> UIVisitor {
        guard let visitor else { throw APIError(.internalServerError, code: "internal", "a UI page ran without its session") }
        return visitor
    }
}

/// The front page's view model.
struct ProjectsPage {
    struct Project {
        var id: String, href: String, files: Int, relative: String, exact: String
    }

    var chrome: PageChrome
    var projects: [Project]
    var empty: Bool
}

/// A project's page: its files, and those deleted.
struct ProjectPage {
    struct File {
        var type: String, name: String, href: String, author: String, relative: String, exact: String, size: String
    }

    var chrome: PageChrome
    var project: String
    var files: [File]
    var deleted: [File]
    var noFiles: Bool
    var hasDeleted: Bool
}
