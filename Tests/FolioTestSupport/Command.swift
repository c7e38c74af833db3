import Foundation

/// What a finished command printed and how it exited.
public struct CommandResult: Sendable {
    /// The exit status.
    public var status: Int32
    /// Standard output as text.
    public var stdout: String
    /// Standard error as text.
    public var stderr: String
    /// Standard output as bytes (binary output, such as a raw git object).
    public var stdoutData = Data()
}

/// Runs a program to completion, feeding `input` on stdin.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`: on Linux `Process.run()` copies a
/// whole 256-byte `d_name` out of each `/proc/self/fd` entry it reads, which can run past the end of
/// glibc's buffer into an unmapped page (swift-corelibs-foundation PR #5472). The test suite spawns
/// thousands of commands from a process with many descriptors open, and crashed that way once.
@discardableResult
public func runCommand(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String] = [:], directory: String? = nil) throws -> CommandResult {
    var merged = ProcessInfo.processInfo.environment
    for (name, value) in environment { merged[name] = value }
    // Pipes whose parent ends should not leak into other children: close-on-exec, and dup2 in the
    // child's file actions clears the flag on the copies it makes.
    func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw CommandFailure(message: "pipe failed: \(String(cString: strerror(errno)))") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }
    let stdinPipe = try makePipe(), stdoutPipe = try makePipe(), stderrPipe = try makePipe()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
    posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)
    // glibc's addchdir file action is not visible to Swift: `env -C` changes directory instead.
    let command = directory.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]
    let argv = (command + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
    for fd in [stdinPipe.read, stdoutPipe.write, stderrPipe.write] { close(fd) }
    guard spawned == 0 else {
        for fd in [stdinPipe.write, stdoutPipe.read, stderrPipe.read] { close(fd) }
        throw CommandFailure(message: "cannot start \(executable): \(String(cString: strerror(spawned)))")
    }
    // Read both pipes while the process runs so a full pipe cannot block it.
    let group = DispatchGroup()
    nonisolated(unsafe) var out = Data(), err = Data()
    group.enter()
    DispatchQueue.global().async { out = FileHandle(fileDescriptor: stdoutPipe.read, closeOnDealloc: true).readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { err = FileHandle(fileDescriptor: stderrPipe.read, closeOnDealloc: true).readDataToEndOfFile(); group.leave() }
    let stdin = FileHandle(fileDescriptor: stdinPipe.write, closeOnDealloc: true)
    if let input { try? stdin.write(contentsOf: input) }
    try stdin.close()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw CommandFailure(message: "waitpid failed: \(String(cString: strerror(errno)))") }
    }
    group.wait()
    // Exit status as Foundation's Process reports it: the code, or the signal's number when killed.
    let exited = status & 0x7f == 0
    let code = exited ? (status >> 8) & 0xff : status & 0x7f
    return CommandResult(status: code, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self), stdoutData: out)
}

/// Runs the `git` command (found on PATH) with `arguments`; returns stdout, failing loudly on a non-zero exit.
@discardableResult
public func git(_ arguments: String...) throws -> String {
    try git(arguments: arguments)
}

/// `git` with its arguments in an array.
@discardableResult
public func git(arguments: [String]) throws -> String {
    let result = try runCommand("/usr/bin/env", ["git"] + arguments, environment: ["GIT_CONFIG_NOSYSTEM": "1"])
    guard result.status == 0 else {
        throw CommandFailure(message: "git \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result.stdout
}

/// A command that exited non-zero where the test needed it to succeed.
public struct CommandFailure: Error, CustomStringConvertible {
    /// What failed.
    public var message: String
    /// The message.
    public var description: String { message }
}

/// The built `folio` executable next to the test bundle (the test command builds it first).
public var folioExecutable: String {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidate = folder.appendingPathComponent("folio").path
    if !FileManager.default.fileExists(atPath: candidate) {
        // Swift Testing may run from inside the .xctest bundle folder.
        candidate = folder.deletingLastPathComponent().appendingPathComponent("folio").path
    }
    return candidate
}
