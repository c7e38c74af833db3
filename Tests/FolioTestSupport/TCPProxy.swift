import FolioSupport
import Foundation

/// A TCP forwarder on 127.0.0.1 that a test can stop and start again on the same port, to take a
/// server away from Folio and bring it back without disturbing other tests that use the server directly.
public final class TCPProxy: @unchecked Sendable {
    /// The port Folio should connect to.
    public let port: Int
    private let targetHost: String
    private let targetPort: Int
    private var process: ChildProcess?

    /// Reserves a free port for a proxy to `targetHost:targetPort` (not started yet).
    public init(targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost
        self.targetPort = targetPort
        let probe = try runCommand("/usr/bin/env", ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard let port = Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CommandFailure(message: "no free port: \(probe.stderr)")
        }
        self.port = port
    }

    deinit { stop() }

    /// Starts forwarding; returns once the port accepts connections.
    public func start() throws {
        let script = """
            import socket, sys, threading
            listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(('127.0.0.1', \(port))); listener.listen(64)
            print('ready', flush=True)
            def pump(a, b):
                try:
                    while True:
                        data = a.recv(65536)
                        if not data: break
                        b.sendall(data)
                except OSError: pass
                finally:
                    for s in (a, b):
                        try: s.shutdown(socket.SHUT_RDWR)
                        except OSError: pass
            def serve():
                while True:
                    client, _ = listener.accept()
                    upstream = socket.create_connection(('\(targetHost)', \(targetPort)))
                    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
            threading.Thread(target=serve, daemon=True).start()
            sys.stdin.read()  # exits, closing every connection, when the test closes stdin or dies
            """
        let process = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script], environment: ProcessInfo.processInfo.environment)
        process.discardStandardError()
        _ = process.standardOutput.availableData  // "ready"
        self.process = process
    }

    /// Stops forwarding: the port refuses connections and open ones are cut.
    public func stop() {
        guard let process else { return }
        try? process.standardInput.close()
        process.terminate()
        _ = try? process.waitForExit()
        self.process = nil
    }
}
