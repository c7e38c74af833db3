internal import CFolioSupport
import Foundation
import Synchronization

/// A program started with `posix_spawn`, its standard input, output and error connected to pipes.
///
/// Not Foundation's `Process`: on Linux its `run()` copies a whole 256-byte `d_name` out of each
/// `/proc/self/fd` entry it lists, which can read past the end of glibc's buffer into an unmapped page
/// and crash the process (swift-corelibs-foundation PR #5472, not in the toolchain this builds with).
/// A server with many sockets open is where that bites.
///
/// Whoever starts a program calls `waitForExit()` once it is done with it: nothing reaps it otherwise.
public final class ChildProcess: Sendable {
    /// How the program ended.
    public enum Termination: Equatable, Sendable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)

        /// The exit status, or the signal's number when a signal ended it (as Foundation's `Process`
        /// reports `terminationStatus`).
        public var status: Int32 {
            switch self {
            case .exited(let code), .signaled(let code): code
            }
        }
    }

    private enum State {
        case running
        /// Ended but not reaped: its id is still its own.
        case ended
        case reaped(Termination)
    }

    /// The process id.
    public let pid: pid_t
    /// The write end of the program's standard input; closing it gives the program end of input.
    public let standardInput: FileHandle
    /// The read end of the program's standard output.
    public let standardOutput: FileHandle
    /// The read end of the program's standard error.
    public let standardError: FileHandle
    /// Signals are sent under this lock and only while the program is not reaped, so a signal never
    /// reaches a process id the system may already have given to another process.
    private let state = Mutex(State.running)
    /// Held for the whole of a wait: a second waiter finds the answer the first stored instead of
    /// waiting on an id the first may already have reaped. Separate from `state`, so `send` and
    /// `hasEnded` never wait for an exit.
    private let waiting = Mutex(())

    /// Starts `executable` (a path) with `arguments` and exactly `environment`, in `directory` if given,
    /// as the leader of a process group of its own.
    public init(executable: String, arguments: [String], environment: [String: String], directory: String? = nil) throws {
        var opened: [Int32] = []
        func makePipe() throws -> (read: Int32, write: Int32) {
            var ends: [Int32] = [0, 0]
            guard folio_pipe_cloexec(&ends) == 0 else { throw SystemError.errno("pipe2", "a pipe to a child process") }
            opened += ends
            return (ends[0], ends[1])
        }
        func fail(_ function: String, _ code: Int32) -> SystemError {
            for fd in opened { close(fd) }
            return SystemError(function: function, message: "\(executable): \(String(cString: strerror(code)))", code: code)
        }
        let input: (read: Int32, write: Int32), output: (read: Int32, write: Int32), errors: (read: Int32, write: Int32)
        do {
            input = try makePipe()
            output = try makePipe()
            errors = try makePipe()
        } catch {
            // Out of descriptors: give back the pipes already made rather than leak them.
            for fd in opened { close(fd) }
            throw error
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies it makes; the originals close at exec, and so does
        // every other descriptor (closefrom): the server's sockets are not all close-on-exec.
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
        let closing = folio_spawn_actions_closefrom(&actions, 3)
        guard closing == 0 else { throw fail("posix_spawn_file_actions_addclosefrom_np", closing) }
        if let directory {
            let added = folio_spawn_actions_chdir(&actions, directory)
            guard added == 0 else { throw fail("posix_spawn_file_actions_addchdir_np", added) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The server ignores SIGPIPE and its threads may block signals; an ignored signal stays ignored
        // across exec. The program starts with every signal at its default and none blocked.
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        // A process group of its own: Ctrl-C on a terminal running the server is the server's to handle
        // (it lets pushes in flight finish), not also the git programs'.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for fd in [input.read, output.write, errors.write] { close(fd) }
        guard spawned == 0 else {
            opened = [input.write, output.read, errors.read]
            throw fail("posix_spawn", spawned)
        }
        self.pid = pid
        standardInput = FileHandle(fileDescriptor: input.write, closeOnDealloc: true)
        standardOutput = FileHandle(fileDescriptor: output.read, closeOnDealloc: true)
        standardError = FileHandle(fileDescriptor: errors.read, closeOnDealloc: true)
    }

    /// Reads standard output and standard error to their ends together (standard error on a thread of
    /// its own), so neither pipe can fill and stall the program while the other is read.
    public func readOutputsToEnd() -> (output: Data, errors: Data) {
        let handle = standardError
        nonisolated(unsafe) var errors = Data()
        let read = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errors = handle.readDataToEndOfFile()
            read.signal()
        }
        let output = standardOutput.readDataToEndOfFile()
        read.wait()
        return (output, errors)
    }

    /// Reads standard error to its end on a thread of its own and drops it, for a program whose errors
    /// nobody reads: closing the pipe instead would end it with SIGPIPE at its first error message.
    public func discardStandardError() {
        let handle = standardError
        DispatchQueue.global().async { _ = handle.readDataToEndOfFile() }
    }

    /// Sends `signal` to the program only, not to its process group, unless it has already been
    /// reaped. (`git http-backend` passes a SIGTERM on to the receive-pack it started, as it did when
    /// it was started by Foundation's `Process`.)
    public func send(_ signal: Int32) {
        state.withLock { state in
            if case .reaped = state { return }
            kill(pid, signal)
        }
    }

    /// Sends SIGTERM, unless the program has already been reaped.
    public func terminate() {
        send(SIGTERM)
    }

    /// Whether the program has ended (without waiting, and without reaping it).
    public var hasEnded: Bool {
        state.withLock { state in
            switch state {
            case .ended, .reaped: return true
            case .running:
                // An error (the program was reaped by someone else) counts as still running: the
                // caller's wait then reports it.
                guard folio_child_has_ended(pid) == 1 else { return false }
                state = .ended
                return true
            }
        }
    }

    /// Waits for the program to end, reaps it, and says how it ended; later calls give the same answer.
    public func waitForExit() throws -> Termination {
        try waiting.withLock { _ in try waitHoldingTheWaiterLock() }
    }

    private func waitHoldingTheWaiterLock() throws -> Termination {
        if case .reaped(let termination) = state.withLock({ $0 }) { return termination }
        // Wait without reaping first, so the id stays this program's until the state says it ended.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            guard errno == EINTR else { throw SystemError.errno("waitid", "process \(pid)") }
        }
        return try state.withLock { state in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                guard errno == EINTR else { throw SystemError.errno("waitpid", "process \(pid)") }
            }
            let termination: Termination = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            state = .reaped(termination)
            return termination
        }
    }
}
