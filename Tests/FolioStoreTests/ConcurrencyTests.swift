import FolioGit
import FolioStore
import FolioTestSupport
import Foundation
import Logging
import Testing
import FolioSupport

@Suite struct ConcurrencyTests {
    /// Saves from many tasks at once, to one file and to many; returns every acknowledged commit.
    func saveConcurrently(_ stores: [DocumentStore], writers: Int, savesEach: Int) async throws -> [(key: FileKey, commit: ObjectID)] {
        try await withThrowingTaskGroup(of: [(FileKey, ObjectID)].self) { group in
            for writer in 0..<writers {
                let store = stores[writer % stores.count]
                group.addTask {
                    var acknowledged: [(FileKey, ObjectID)] = []
                    for save in 0..<savesEach {
                        // Half the writers share one file, the rest have their own.
                        let name = writer % 2 == 0 ? "shared" : "own\(writer)"
                        let key = try FileKey(projectID: "p1", fileType: .prd, name: name)
                        let result = try await store.save(key, content: "writer \(writer) save \(save)\n", updatedBy: "w\(writer)")
                        #expect(result.changed)
                        acknowledged.append((key, result.commit))
                    }
                    return acknowledged
                }
            }
            var all: [(FileKey, ObjectID)] = []
            for try await part in group { all += part }
            return all
        }
    }

    func expectEveryAcknowledgedSaveInHistory(_ fixture: StoreFixture, _ acknowledged: [(key: FileKey, commit: ObjectID)]) throws {
        let commits = Set(acknowledged.map(\.commit))
        #expect(commits.count == acknowledged.count, "every save got its own commit")
        let gitCommits = Set(try git("-C", fixture.repoPath, "rev-list", "main").split(separator: "\n").compactMap { ObjectID(hex: String($0)) })
        #expect(commits.isSubset(of: gitCommits), "every acknowledged commit is on the branch")
        for key in Set(acknowledged.map(\.key)) {
            let expected = Set(acknowledged.filter { $0.key == key }.map(\.commit))
            let history = try fixture.store.history(key, limit: 1000).revisions
            #expect(Set(history.map(\.commit)) == expected, "history of \(key.path) holds exactly its saves")
            #expect(history.map(\.seq) == Array((1...expected.count).reversed()))
            let gitHistory = try git("-C", fixture.repoPath, "log", "--format=%H", "--", key.path).split(separator: "\n").map(String.init)
            #expect(history.map(\.commit.hex) == gitHistory, "catalog order is git order")
        }
        try git("-C", fixture.repoPath, "fsck", "--strict")
    }

    @Test func manyTasksSavingAtOnceLoseNoSave() async throws {
        let fixture = try StoreFixture()
        let acknowledged = try await saveConcurrently([fixture.store], writers: 16, savesEach: 10)
        try expectEveryAcknowledgedSaveInHistory(fixture, acknowledged)
    }

    @Test func twoStoresOnOneRepositoryLoseNoSave() async throws {
        // Two independent writers (each its own commit queue and handles, as two processes have) race on
        // the branch's compare-and-swap and on the catalog.
        let fixture = try StoreFixture()
        let second = try DocumentStore.open(fixture.configuration, logger: Logger(label: "second"))
        defer { second.close() }
        let acknowledged = try await saveConcurrently([fixture.store, second], writers: 8, savesEach: 12)
        try expectEveryAcknowledgedSaveInHistory(fixture, acknowledged)
    }

    @Test func unbatchedLooseObjectWritesBehaveTheSame() async throws {
        let fixture = try StoreFixture { $0.maxBatch = 1; $0.packedWrites = false }
        let acknowledged = try await saveConcurrently([fixture.store], writers: 4, savesEach: 5)
        try expectEveryAcknowledgedSaveInHistory(fixture, acknowledged)
        let packs = try FileManager.default.contentsOfDirectory(atPath: fixture.repoPath + "/objects/pack")
        #expect(packs.isEmpty, "naive mode writes loose objects")
    }
}
