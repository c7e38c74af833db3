import FolioSupport
import Foundation
import Testing

@Suite struct ChildProcessTests {
    @Test func inputGoesInOutputAndErrorComeBackWithTheExitStatus() throws {
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "tr a-z A-Z; echo oops >&2; exit 3"], environment: ["PATH": "/usr/bin:/bin"])
        try child.standardInput.write(contentsOf: Data("hello\n".utf8))
        try child.standardInput.close()
        let output = child.standardOutput.readDataToEndOfFile()
        let errors = child.standardError.readDataToEndOfFile()
        #expect(try child.waitForExit() == .exited(3))
        #expect(String(decoding: output, as: UTF8.self) == "HELLO\n")
        #expect(String(decoding: errors, as: UTF8.self) == "oops\n")
        #expect(try child.waitForExit() == .exited(3), "a second wait gives the same answer")
    }

    @Test func environmentIsExactlyTheOneGivenAndDirectoryIsSet() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("folio-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "pwd; env | grep -v '^PWD=' | sort"], environment: ["ONLY": "this"], directory: folder.path)
        try child.standardInput.close()
        child.discardStandardError()
        let lines = String(decoding: child.standardOutput.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(try child.waitForExit() == .exited(0))
        #expect(lines.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path } == folder.resolvingSymlinksInPath().path)
        #expect(lines.dropFirst().filter { !$0.hasPrefix("SHLVL=") && !$0.hasPrefix("_=") } == ["ONLY=this"])
    }

    @Test func terminateEndsARunningProgramAndHasEndedSaysSo() throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"], environment: [:])
        #expect(!child.hasEnded)
        child.terminate()
        #expect(try child.waitForExit() == .signaled(SIGTERM))
        #expect(child.hasEnded)
        child.terminate()  // after reaping: no signal goes to an id that may be someone else's now
    }

    @Test func theProgramDiesOfSIGPIPEEvenWhenThisProcessIgnoresIt() throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        // `yes` writes until its reader is gone; with SIGPIPE at its default it is ended by the signal.
        let child = try ChildProcess(executable: "/usr/bin/yes", arguments: [], environment: [:])
        try child.standardInput.close()
        child.discardStandardError()
        _ = child.standardOutput.readData(ofLength: 10)
        try child.standardOutput.close()
        #expect(try child.waitForExit() == .signaled(SIGPIPE))
    }

    @Test func aMissingProgramIsAnError() {
        #expect(throws: SystemError.self) {
            try ChildProcess(executable: "/nonexistent/program", arguments: [], environment: [:])
        }
    }
}
