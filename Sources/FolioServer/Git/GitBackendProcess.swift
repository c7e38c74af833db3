import FolioSupport
import Foundation
import Logging
import NIOCore

/// One run of `git http-backend`, git's own CGI program for the smart HTTP protocol: the request body
/// goes to its standard input and its standard output (CGI headers, then the body) comes back as a
/// stream of buffers. Running git's program rather than speaking the protocol here keeps clone, fetch
/// and push exactly as git does them, hooks included.
final class GitBackendProcess: @unchecked Sendable {
    private let process: ChildProcess
    /// Chunks read ahead of the client at most; the reader waits for the client beyond that, so a slow
    /// clone holds a bounded amount of memory.
    /// (Made at zero and raised, because libdispatch traps when a semaphore is freed below the value it
    /// was made with, which the reader's last wait leaves it at.)
    private let readAhead: DispatchSemaphore = {
        let semaphore = DispatchSemaphore(value: 0)
        for _ in 0..<16 { semaphore.signal() }
        return semaphore
    }()
    private let logger: Logger
    /// What git wrote to standard error, read as it comes so that a full pipe never stalls git.
    private let stderrText = StderrCollector()
    /// Set by `stop()`: nobody reads the output any more.
    private let stopped = OnceFlag()

    init(environment: [String: String], logger: Logger) throws {
        // Writing a request body to a git that already exited (it refused the request) must be an error
        // on that write, not a signal that ends the server. SwiftNIO ignores SIGPIPE process-wide on
        // Linux once it opens a socket; this says so here rather than relying on it.
        _ = GitBackendProcess.ignoreBrokenPipes
        self.logger = logger
        process = try ChildProcess(executable: "/usr/bin/env", arguments: ["git", "http-backend"], environment: environment)
        let handle = process.standardError
        let collector = stderrText
        DispatchQueue.global().async { collector.finish(handle.readDataToEndOfFile()) }
    }

    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Copies `body` to git's standard input on a thread of its own (pipe writes block), then closes it.
    func feed<Body: AsyncSequence & Sendable>(_ body: Body) -> Task<Void, Never> where Body.Element == ByteBuffer {
        let handle = process.standardInput
        return Task {
            do {
                for try await buffer in body {
                    let data = Data(buffer.readableBytesView)
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        DispatchQueue.global().async {
                            continuation.resume(with: Result { try handle.write(contentsOf: data) })
                        }
                    }
                }
            } catch {
                // The client went away or git stopped reading (it refused the request): git sees the end
                // of its input and answers or exits; nothing more to do here.
            }
            try? handle.close()
        }
    }

    /// git's standard output, read on a thread of its own. Each chunk is released to the reader only
    /// after the previous ones were taken (`chunkTaken`), `readAhead` at most. When the consumer is gone
    /// (the client disconnected, or the body was never sent), git is stopped and the reader drains what
    /// git's children still write, without waiting, until they exit.
    func outputChunks() -> AsyncStream<ByteBuffer> {
        // The handle, not its descriptor number, goes to the reader: it keeps the descriptor open (and
        // so not reused by another connection) for as long as the reader may read it.
        let handle = process.standardOutput
        let semaphore = readAhead
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        // Held strongly: the consumer that drops the stream may be what releases this object.
        continuation.onTermination = { termination in
            if case .cancelled = termination { self.stop() }
        }
        let collector = stderrText
        let logger = logger
        let process = process
        let stopped = self.stopped
        DispatchQueue.global().async {
            var bytes = [UInt8](repeating: 0, count: 64 * 1024)
            let fd = handle.fileDescriptor
            while true {
                if !stopped.value { semaphore.wait() }
                let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { semaphore.signal(); continue }
                guard count > 0 else { break }
                if !stopped.value { continuation.yield(ByteBuffer(bytes: bytes[0..<count])) }
            }
            continuation.finish()
            let ended = Result { try process.waitForExit() }
            let stderr = collector.wait()
            if ((try? ended.get()) != .exited(0) && !stopped.value) || !stderr.isEmpty {
                let status = switch ended {
                case .success(let termination): "\(termination)"
                case .failure(let error): "\(error)"
                }
                logger.warning("git http-backend", metadata: [
                    "status": "\(status)", "stderr": "\(stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000))",
                ])
            }
            withExtendedLifetime(handle) {}
        }
        return stream
    }

    /// Lets the output reader go on by one chunk.
    func chunkTaken() {
        readAhead.signal()
    }

    /// Stops git when the client is gone before it finished, and frees the reader from waiting for a
    /// consumer that will not come.
    func stop() {
        guard !stopped.exchange(true) else { return }
        process.terminate()
        readAhead.signal()
    }
}

/// A flag set once, read from other threads.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false

    var value: Bool { lock.withLock { set } }

    /// Sets the flag; returns whether it was set already.
    func exchange(_ newValue: Bool) -> Bool {
        lock.withLock {
            let old = set
            set = newValue
            return old
        }
    }
}

/// Standard error of a child process, handed from the thread that reads it to the one that logs it.
private final class StderrCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var text = ""

    func finish(_ data: Data) {
        text = String(decoding: data, as: UTF8.self)
        done.signal()
    }

    func wait() -> String {
        done.wait()
        return text
    }
}
