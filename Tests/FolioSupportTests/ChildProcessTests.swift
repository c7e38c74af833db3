import FolioSupport
import Foundation
import Synchronization
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
        // Ignored for good, as the server has it (SwiftNIO ignores it too): putting back a default here
        // could undo NIO's setting for the other tests in this process.
        signal(SIGPIPE, SIG_IGN)
        // `yes` writes until its reader is gone; with SIGPIPE at its default it is ended by the signal.
        let child = try ChildProcess(executable: "/usr/bin/yes", arguments: [], environment: [:])
        try child.standardInput.close()
        child.discardStandardError()
        _ = child.standardOutput.readData(ofLength: 10)
        try child.standardOutput.close()
        #expect(try child.waitForExit() == .signaled(SIGPIPE))
    }

    @Test func descriptorsThatAreNotCloseOnExecStayWithThisProcess() throws {
        // Like a socket SwiftNIO accepted: open, and not marked close-on-exec.
        let descriptor = open("/dev/null", O_RDONLY)
        try #require(descriptor > 2)
        defer { close(descriptor) }
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "[ -e /proc/$$/fd/\(descriptor) ] && echo inherited || echo closed"], environment: [:])
        try child.standardInput.close()
        child.discardStandardError()
        let said = String(decoding: child.standardOutput.readDataToEndOfFile(), as: UTF8.self)
        #expect(try child.waitForExit() == .exited(0))
        #expect(said == "closed\n")
    }

    @Test func theProgramLeadsAProcessGroupOfItsOwn() throws {
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "cut -d' ' -f5 /proc/$$/stat"], environment: [:])
        try child.standardInput.close()
        child.discardStandardError()
        let group = Int32(String(decoding: child.standardOutput.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try child.waitForExit() == .exited(0))
        #expect(group == child.pid, "not in this process's group, which a terminal's Ctrl-C reaches")
    }

    @Test func twoThreadsWaitingAtOnceBothGetTheAnswer() throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["0.2"], environment: [:])
        try child.standardInput.close()
        let answers = Mutex<[ChildProcess.Termination?]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let answer = try? child.waitForExit()
            answers.withLock { $0.append(answer) }
        }
        #expect(answers.withLock { $0 } == Array(repeating: .exited(0), count: 4))
    }

    @Test func aMissingProgramIsAnError() {
        #expect(throws: SystemError.self) {
            try ChildProcess(executable: "/nonexistent/program", arguments: [], environment: [:])
        }
    }
}
