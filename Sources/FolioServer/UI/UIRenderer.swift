import Foundation
import Hummingbird
import Mustache

/// The web UI's templates (`Resources/ui/templates/*.mustache`) and static files (`Resources/ui/static`),
/// read once when the router is built. Templates escape every `{{value}}`; only `{{{html}}}` is left
/// as it is, and it is used for markup Folio produced itself (rendered Markdown).
final class UIRenderer: Sendable {
    /// A static file and its content type.
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    private let library: MustacheLibrary
    let assets: [String: Asset]

    /// Why the UI cannot start: a template missing or not valid Mustache is a packaging bug.
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    init() throws {
        guard let root = Bundle.module.url(forResource: "ui", withExtension: nil, subdirectory: "Resources") else {
            throw LoadError(description: "the web UI's resources are missing from the FolioServer bundle")
        }
        var library = MustacheLibrary()
        let templates = root.appendingPathComponent("templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: templates.path).filter { $0.hasSuffix(".mustache") }
        guard !names.isEmpty else { throw LoadError(description: "no templates in \(templates.path)") }
        for name in names {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw LoadError(description: "template \(name) is not valid Mustache: \(error)")
            }
        }
        self.library = library
        var assets: [String: Asset] = [:]
        let staticFolder = root.appendingPathComponent("static")
        for name in try FileManager.default.contentsOfDirectory(atPath: staticFolder.path) {
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : nil
            guard let type else { continue }
            let data = try Data(contentsOf: staticFolder.appendingPathComponent(name))
            assets[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type)
        }
        self.assets = assets
    }

    /// The page `template` rendered with `model`, as an HTML response.
    func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        guard let html = library.render(model, withTemplate: template) else {
            throw LoadError(description: "no template named \(template)")
        }
        var headers = headers
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
