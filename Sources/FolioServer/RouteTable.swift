import Hummingbird
import Synchronization

/// The routes the router holds, as path patterns and the methods each answers, so that a request for
/// a known path with a method it does not take gets 405 with `Allow` instead of 404.
final class RouteTable: Sendable {
    private struct Pattern: Sendable {
        /// Literal segments, or nil where the route captures a parameter.
        var segments: [String?]
        var methods: Set<String>
    }

    private let patterns: [Pattern]

    /// Reads the routes `router` holds now (call it after every route was added).
    init(_ routes: [Router<FolioRequestContext>.RouteDescription]) {
        var byPath: [String: Pattern] = [:]
        for route in routes {
            let path = "\(route.path)"
            // Captures print as `{name}` (or `:name`); they match any one segment.
            let segments = path.split(separator: "/").map { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == "*" ? nil : String($0) }
            byPath[path, default: Pattern(segments: segments, methods: [])].methods.insert(route.method.rawValue)
            // HEAD is generated for every GET.
            if route.method == .get { byPath[path]?.methods.insert("HEAD") }
        }
        patterns = Array(byPath.values)
    }

    /// The methods some route answers for `path`, empty when no route has this path.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        let matching = patterns.filter { pattern in
            pattern.segments.count == segments.count
                && zip(pattern.segments, segments).allSatisfy { literal, segment in literal == nil || literal == segment }
        }
        // As the router does, a literal segment wins over a capture (`/files/` is not a `{type}`).
        let literals = { (pattern: Pattern) in pattern.segments.count { $0 != nil } }
        guard let best = matching.map(literals).max() else { return [] }
        return matching.filter { literals($0) == best }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }.sorted()
    }
}

/// Lets the error middleware, added before the routes, read the table built after them.
final class RouteTableBox: Sendable {
    let table = Mutex<RouteTable?>(nil)
}
