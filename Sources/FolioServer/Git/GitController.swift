import FolioStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// git's smart HTTP protocol under `/git/folio.git`: clone and fetch for every token, push for
/// read-write tokens, through `git http-backend` on the deployment repository. Pushes run the
/// repository's hooks, so they are checked, recorded and mirrored as API saves are.
struct GitController: Sendable {
    /// The repository's name in URLs, whatever its folder is called.
    static let repositoryName = "folio.git"
    let repositoryPath: String
    let tokens: [APIToken]
    /// Why pushes over HTTP are refused, nil when they are allowed (Folio's hooks are installed).
    let pushRefusal: @Sendable () -> String?

    /// git processes running for clients at most; more requests get 503 (each one forks http-backend,
    /// upload-pack and pack-objects, and the machine may have two cores).
    let limiter: GitProcessLimiter

    init(repositoryPath: String, tokens: [APIToken], pushRefusal: @escaping @Sendable () -> String?, maxProcesses: Int = 8) {
        self.repositoryPath = repositoryPath
        self.tokens = tokens
        self.pushRefusal = pushRefusal
        self.limiter = GitProcessLimiter(limit: maxProcesses)
    }

    /// The two services of git's smart protocol.
    enum Service: String {
        case uploadPack = "git-upload-pack"
        case receivePack = "git-receive-pack"
    }

    var endpoints: RouteCollection<FolioRequestContext> {
        let routes = RouteCollection(context: FolioRequestContext.self)
        routes.get("\(Self.repositoryName)/info/refs") { request, context in
            // Only the smart protocol is served: the dumb one (no service) would need the files themselves.
            let services = request.uri.queryParameters.getAll("service")
            guard services.count == 1, let service = Service(rawValue: String(services[0])) else {
                return plain(.forbidden, "only git's smart HTTP protocol is served here; use git 1.6.6 or newer")
            }
            return try await serve(request, context: context, service: service, pathInfo: "info/refs", query: "service=\(service.rawValue)")
        }
        routes.post("\(Self.repositoryName)/git-upload-pack") { request, context in
            try await serve(request, context: context, service: .uploadPack, pathInfo: Service.uploadPack.rawValue, query: "")
        }
        routes.post("\(Self.repositoryName)/git-receive-pack") { request, context in
            try await serve(request, context: context, service: .receivePack, pathInfo: Service.receivePack.rawValue, query: "")
        }
        return routes
    }

    /// Runs `git http-backend` for one request. The route decides the service and the path git sees,
    /// so nothing of the client's URL reaches git but what these routes allow.
    func serve(_ request: Request, context: FolioRequestContext, service: Service, pathInfo: String, query: String) async throws -> Response {
        let pushing = service == .receivePack
        let caller: String
        switch authorize(request, pushing: pushing) {
        case .failure(let refusal): return refusal.response
        case .success(let name): caller = name
        }
        if pushing, let refusal = pushRefusal() { return plain(.forbidden, refusal) }
        guard let slot = limiter.acquire() else {
            var response = plain(.serviceUnavailable, "too many git requests at once; try again shortly")
            response.headers[.retryAfter] = "2"
            return response
        }

        let folder = URL(fileURLWithPath: repositoryPath).standardizedFileURL
        // git and its hooks get a minimal environment: the hooks carry the settings they were installed
        // with, and the server's own secrets (tokens, the old app's database) are none of git's business.
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"] { environment[name] = inherited[name] }
        environment["GIT_PROJECT_ROOT"] = folder.deletingLastPathComponent().path
        environment["PATH_INFO"] = "/" + folder.lastPathComponent + "/" + pathInfo
        environment["GIT_HTTP_EXPORT_ALL"] = "1"
        environment["REQUEST_METHOD"] = request.method.rawValue
        environment["QUERY_STRING"] = query
        environment["CONTENT_TYPE"] = request.headers[.contentType] ?? ""
        if let length = request.headers[.contentLength] { environment["CONTENT_LENGTH"] = length }
        if let encoding = request.headers[.contentEncoding] { environment["HTTP_CONTENT_ENCODING"] = encoding }
        if let protocolHeader = request.headers[HTTPField.Name("Git-Protocol")!] { environment["GIT_PROTOCOL"] = protocolHeader }
        // http-backend lets only an authenticated user push; who it was is the token's holder.
        environment["REMOTE_USER"] = caller
        environment["REMOTE_ADDR"] = "127.0.0.1"

        let backend: GitBackendProcess
        do {
            backend = try GitBackendProcess(environment: environment, logger: context.logger)
        } catch {
            slot.release()
            throw error
        }
        let feeding = backend.feed(request.body)
        let chunks = CGIOutput(backend.outputChunks(), backend: backend, slot: slot)
        guard let head = await chunks.readHead() else {
            feeding.cancel()
            backend.stop()
            return plain(.internalServerError, "git http-backend gave no answer")
        }
        return Response(status: head.status, headers: head.headers, body: ResponseBody { writer in
            // git is stopped only when the answer could not be sent (the client went away): after a
            // complete answer it exits by itself, and its exit status is logged if it failed.
            do {
                if head.rest.readableBytes > 0 { try await writer.write(head.rest) }
                while let chunk = await chunks.next() { try await writer.write(chunk) }
                await feeding.value
                try await writer.finish(nil)
            } catch {
                backend.stop()
                throw error
            }
        })
    }

    /// The caller's name, or the response that refuses the request. Git clients send the token as the
    /// password of Basic authentication (`http://NAME:TOKEN@host/...`, or a credential helper); a
    /// Bearer header works too. With no tokens configured (loopback only) everyone may clone and push.
    private func authorize(_ request: Request, pushing: Bool) -> Result<String, ResponseError> {
        guard !tokens.isEmpty else { return .success("anonymous") }
        guard let header = request.headers[.authorization], let presented = Self.presentedToken(header) else {
            var response = plain(.unauthorized, "this repository needs a Folio API token as the password (or a Bearer token)")
            response.headers[.wwwAuthenticate] = "Basic realm=\"Folio\", charset=\"UTF-8\""
            return .failure(ResponseError(response: response))
        }
        guard let caller = APIToken.matching(presented, in: tokens) else {
            var response = plain(.unauthorized, "the token is not one this server accepts")
            response.headers[.wwwAuthenticate] = "Basic realm=\"Folio\", charset=\"UTF-8\""
            return .failure(ResponseError(response: response))
        }
        if pushing && caller.readOnly {
            return .failure(ResponseError(response: plain(.forbidden, "the token of '\(caller.name)' is read-only; it may clone and fetch, not push")))
        }
        return .success(caller.name)
    }

    /// The token in `Basic base64(user:token)` or `Bearer token`.
    static func presentedToken(_ header: String) -> String? {
        if let token = APIToken.bearer(in: header) { return token }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[text.index(after: colon)...])
    }

    func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}

/// A refusal carried out of `authorize`.
struct ResponseError: Error {
    var response: Response
}

/// git http-backend's output: CGI header lines up to a blank line, then the body.
final class CGIOutput: @unchecked Sendable {
    private var iterator: AsyncStream<ByteBuffer>.AsyncIterator
    private let backend: GitBackendProcess
    /// The request's place under the limit, given back when the output is done with.
    private let slot: GitProcessLimiter.Slot

    init(_ stream: AsyncStream<ByteBuffer>, backend: GitBackendProcess, slot: GitProcessLimiter.Slot) {
        iterator = stream.makeAsyncIterator()
        self.backend = backend
        self.slot = slot
    }

    deinit {
        slot.release()
    }

    func next() async -> ByteBuffer? {
        let chunk = await iterator.next()
        if chunk != nil { backend.chunkTaken() }
        return chunk
    }

    /// Reads up to the end of the CGI header: the status (`Status:`, 200 without one), the other
    /// headers, and what of the body came with them.
    func readHead() async -> (status: HTTPResponse.Status, headers: HTTPFields, rest: ByteBuffer)? {
        var buffer = ByteBuffer()
        while true {
            guard var chunk = await next() else { return nil }
            buffer.writeBuffer(&chunk)
            let bytes = buffer.readableBytesView
            guard let end = Self.headerEnd(bytes) else {
                if bytes.count > 64 * 1024 { return nil }
                continue
            }
            let headText = String(decoding: bytes[bytes.startIndex..<end.start], as: UTF8.self)
            var status = HTTPResponse.Status.ok
            var headers = HTTPFields()
            for line in headText.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].trimmingCharacters(in: .whitespacesAndNewlines)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                if name.lowercased() == "status" {
                    let code = Int(value.prefix(3)) ?? 500
                    status = HTTPResponse.Status(code: code, reasonPhrase: String(value.dropFirst(4)))
                } else if let fieldName = HTTPField.Name(name) {
                    headers.append(HTTPField(name: fieldName, value: value))
                }
            }
            return (status, headers, ByteBuffer(bytes: bytes[end.bodyStart...]))
        }
    }

    /// Where the header's closing blank line starts and the body begins (`\r\n\r\n` or `\n\n`).
    private static func headerEnd(_ bytes: ByteBufferView) -> (start: Int, bodyStart: Int)? {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                let next = bytes.index(after: index)
                if next < bytes.endIndex, bytes[next] == 0x0A { return (index, next + 1) }
                if next + 1 < bytes.endIndex, bytes[next] == 0x0D, bytes[next + 1] == 0x0A { return (index, next + 2) }
            }
            index = bytes.index(after: index)
        }
        return nil
    }
}

/// Counts the git processes running for clients.
final class GitProcessLimiter: Sendable {
    private let running = Mutex(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// One request's place; released once, by whoever is done with it last.
    final class Slot: Sendable {
        private let limiter: GitProcessLimiter
        private let released = Mutex(false)

        init(_ limiter: GitProcessLimiter) {
            self.limiter = limiter
        }

        func release() {
            guard !released.withLock({ value in defer { value = true }; return value }) else { return }
            limiter.running.withLock { $0 -= 1 }
        }
    }

    /// A place, or nil when `limit` requests are running.
    func acquire() -> Slot? {
        let granted = running.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        return granted ? Slot(self) : nil
    }
}
