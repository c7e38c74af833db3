@testable import FolioStore
import FolioGit
import FolioTestSupport
import Foundation
import Logging
import Testing
import FolioSupport

/// The writer builds the next batch on the tip of the one being published; when that one loses the
/// branch to another writer, everything built on it goes back and is built again, in order.
@Suite struct PipelineTests {
    @Test func orderedRequestsKeepTheirOrderWhileAnotherWriterKeepsWinningRaces() async throws {
        let fixture = try StoreFixture()
        let rival = try DocumentStore.open(fixture.configuration, logger: Logger(label: "rival"))
        defer { rival.close() }
        let rivalKey = try fixture.key("p1", .prd, "rival")
        let rivalSaves = Task {
            var count = 0
            while !Task.isCancelled {
                _ = try await rival.save(rivalKey, content: "rival \(count)", updatedBy: "rival")
                count += 1
            }
            return count
        }
        let ordered = try fixture.key("p1", .prd, "ordered")
        let author = try fixture.store.signature("ann", email: nil)
        var sent: [String] = []
        // Rounds of requests queued together (as a bulk import queues them), until the rival has made
        // this writer lose a few races, so the rebuild path is what is being tested.
        var round = 0
        while round < 40 && (round < 5 || fixture.store.queue.lostRaces.load(ordering: .relaxed) < 3) {
            let messages = (0..<30).map { "round \(round) step \($0)" }
            let requests = messages.map { message in
                WriteRequest(
                    key: ordered, kind: .put(content: message, metadata: [:], baseCommit: nil, restoring: false), author: author, userMessage: message)
            }
            for outcome in await fixture.store.queue.submitAll(requests) {
                #expect(throws: Never.self) { try outcome.get() }
            }
            sent += messages
            round += 1
        }
        rivalSaves.cancel()
        let rivalCount = try await rivalSaves.value
        #expect(fixture.store.queue.lostRaces.load(ordering: .relaxed) >= 3, "the rival won races (\(rivalCount) rival saves)")

        // Exactly what was sent, in the order it was sent, each once: in git (oldest first) and in the
        // catalog (newest first).
        let bodies = try git("-C", fixture.repoPath, "log", "--reverse", "--format=%b%x1e", "--", ordered.path)
            .split(separator: "\u{1e}").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        #expect(bodies.map { String($0.prefix { $0 != "\n" }) } == sent)
        let history = try fixture.store.history(ordered, limit: 1000).revisions
        #expect(history.reversed().map(\.message) == sent)
        try git("-C", fixture.repoPath, "fsck", "--strict")
    }
}
