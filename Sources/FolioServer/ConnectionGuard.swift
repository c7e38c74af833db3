import Hummingbird
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization
#if canImport(Glibc)
import Glibc
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
import Darwin
private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif

/// Keeps slow, idle and surplus clients from exhausting the server.
///
/// - A client must finish sending a request's head within `headerTimeout` of connecting, or of the end of
///   the previous response on a kept-alive connection; a slowloris trickling one header byte at a time is
///   cut off instead of holding a socket forever. (The channel's idle timeout covers stalled bodies.)
/// - Past `maxConnections` open connections, new ones are still accepted but may only ask for `/healthz`
///   and `/readyz` (so a load balancer sees the server alive and busy); anything else gets 503 and the
///   connection closes. The cap sits below the file-descriptor limit, so accepting never fails for lack
///   of descriptors.
public final class ConnectionGuard: Sendable {
    /// The settings and the shared count of open connections.
    public struct Limits: Sendable {
        public var headerTimeout: TimeAmount
        public var idleTimeout: TimeAmount
        public var maxConnections: Int

        public init(headerTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .seconds(60), maxConnections: Int = 1024) {
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
        }
    }

    let limits: Limits
    let open = Atomic<Int>(0)

    public init(_ limits: Limits) { self.limits = limits }

    /// A handler for one new connection.
    func handler() -> Handler { Handler(guard: self) }

    /// Sits after HTTP decoding: sees each request's head and each response's end.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        private let owner: ConnectionGuard
        private var deadline: Scheduled<Void>?
        private var overCap = false
        private var counted = false
        /// Set once this connection was refused; later parts of the request are dropped.
        private var refused = false

        init(guard owner: ConnectionGuard) { self.owner = owner }

        func handlerAdded(context: ChannelHandlerContext) {
            let count = owner.open.add(1, ordering: .relaxed).newValue
            counted = true
            overCap = count > owner.limits.maxConnections
            armDeadline(context)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            deadline?.cancel()
            if counted {
                owner.open.subtract(1, ordering: .relaxed)
                counted = false
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if refused { return }
            let part = unwrapInboundIn(data)
            if case .head(let request) = part {
                deadline?.cancel()
                deadline = nil
                if overCap && !ConnectionGuard.isProbe(request.path) {
                    refuse(context)
                    return
                }
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { armDeadline(context) }
            context.write(data, promise: promise)
        }

        private func armDeadline(_ context: ChannelHandlerContext) {
            deadline?.cancel()
            // Over the cap a connection gets only a short while: it is there for a health probe.
            let timeout = overCap ? min(owner.limits.headerTimeout, .seconds(2)) : owner.limits.headerTimeout
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        }

        private func refuse(_ context: ChannelHandlerContext) {
            refused = true
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            fields[.connection] = "close"
            let body = #"{"error":{"code":"unavailable","message":"too many connections; try again shortly"}}"#
            fields[.contentLength] = String(body.utf8.count)
            fields[.retryAfter] = "1"
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// `wanted`, lowered so that the connections, with room for the store's own files, fit within the
    /// process's file-descriptor limit (raised to its hard limit first).
    public static func capped(_ wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return wanted }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { limit = raised }
        }
        // Past the cap, probes still open a descriptor each for a moment: keep a quarter in reserve.
        let usable = Int(clamping: limit.rlim_cur) * 3 / 4 - 64
        return min(wanted, max(16, usable))
    }

    /// Health probes are answered even over the cap.
    static func isProbe(_ path: String?) -> Bool {
        guard let path else { return false }
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        return bare == "/healthz" || bare == "/readyz"
    }
}
