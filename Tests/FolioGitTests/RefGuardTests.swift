import FolioGit
import FolioTestSupport
import Foundation
import Testing

/// The ref lock's mark says "a ref update is under way": it must not cover the work before the update.
@Suite struct RefGuardTests {
    let folder = TemporaryDirectory("refguard")

    @Test func preparationHoldsTheLockUnmarkedAndOnlyTheUpdateIsMarked() throws {
        let repoPath = folder.child("repo.git")
        _ = try Repository.openOrCreateBare(at: repoPath)
        let guardian = try RefGuard(repositoryPath: repoPath)
        let markFile = repoPath + "/folio-ref.lock"
        func marked() throws -> Bool { (try FileManager.default.attributesOfItem(atPath: markFile)[.size] as? NSNumber)?.intValue == 1 }
        var duringPrepare: Bool?, duringUpdate: Bool?
        try guardian.withRefLock("refs/heads/main", prepare: { duringPrepare = try marked() }) { duringUpdate = try marked() }
        #expect(duringPrepare == false && duringUpdate == true)
        #expect(try marked() == false)
    }

    @Test func aDeadWritersMarkIsClearedAndItsLockFileRemovedBeforePreparation() throws {
        let repoPath = folder.child("repo.git")
        _ = try Repository.openOrCreateBare(at: repoPath)
        let markFile = repoPath + "/folio-ref.lock"
        let lockFile = repoPath + "/refs/heads/main.lock"
        // What a writer killed between marking and unmarking leaves.
        try Data([1]).write(to: URL(fileURLWithPath: markFile))
        try Data("0123456789012345678901234567890123456789\n".utf8).write(to: URL(fileURLWithPath: lockFile))
        let guardian = try RefGuard(repositoryPath: repoPath)
        var removed: [String] = []
        var lockFileDuringPrepare: Bool?, markedDuringPrepare: Bool?
        try guardian.withRefLock("refs/heads/main", cleaned: { removed += $0.removed.map(\.path) }, prepare: {
            lockFileDuringPrepare = FileManager.default.fileExists(atPath: lockFile)
            markedDuringPrepare = (try FileManager.default.attributesOfItem(atPath: markFile)[.size] as? NSNumber)?.intValue == 1
        }) {}
        #expect(removed == [lockFile], "the stale lock file was reported")
        #expect(lockFileDuringPrepare == false && markedDuringPrepare == false)
    }
}
