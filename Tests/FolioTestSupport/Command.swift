import FolioSupport
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
/// Spawned through `ChildProcess` (posix_spawn) rather than Foundation's `Process`, whose `run()` on
/// Linux can read past glibc's buffer while it lists `/proc/self/fd` and crash the test process.
@discardableResult
public func runCommand(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String] = [:], directory: String? = nil) throws -> CommandResult {
    var merged = ProcessInfo.processInfo.environment
    for (name, value) in environment { merged[name] = value }
    let child = try ChildProcess(executable: executable, arguments: arguments, environment: merged, directory: directory)
    // Input goes in on a thread of its own while both outputs are read, so no pipe can fill and block.
    let stdin = child.standardInput
    DispatchQueue.global().async {
        if let input { try? stdin.write(contentsOf: input) }
        try? stdin.close()
    }
    let (out, err) = child.readOutputsToEnd()
    let termination = try child.waitForExit()
    return CommandResult(status: termination.status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self), stdoutData: out)
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
