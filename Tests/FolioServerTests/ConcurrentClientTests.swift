import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Many clients on their own connections saving at once.
@Suite struct ConcurrentClientTests {
    @Test func fiftyConcurrentClientsSavingToSharedAndOwnFilesLoseNoSave() async throws {
        let fixture = try ServerFixture()
        let clients = 50
        let acknowledged = try await fixture.withServer { client in
            let port = try #require(client.port)
            return try await withThrowingTaskGroup(of: [(name: String, commit: String)].self) { group in
                for writer in 0..<clients {
                    group.addTask {
                        try await TestClient.withClient(host: "localhost", port: port) { connection in
                            var saved: [(name: String, commit: String)] = []
                            // Every client saves to the shared file and to its own, on one connection.
                            for name in ["shared", "own\(writer)"] {
                                let body = try JSONSerialization.data(withJSONObject: [
                                    "name": name, "content": "writer \(writer) was here\n", "updated_by": "writer\(writer)",
                                ])
                                let response = try await connection.execute(TestClient.Request(
                                    "/api/projects/p1/prd/", method: .post, authority: "localhost", headers: [.contentType: "application/json"],
                                    body: ByteBuffer(bytes: body)))
                                #expect(response.status == .created || response.status == .ok, "writer \(writer) \(name): \(response.status)")
                                let reply = try JSONSerialization.jsonObject(with: Data((response.body ?? ByteBuffer()).readableBytesView)) as? [String: Any]
                                saved.append((name, try #require(reply?["commit"] as? String)))
                            }
                            return saved
                        }
                    }
                }
                var all: [(name: String, commit: String)] = []
                for try await part in group { all += part }
                return all
            }
        }
        #expect(acknowledged.count == clients * 2)
        #expect(Set(acknowledged.map(\.commit)).count == acknowledged.count, "every save got its own commit")
        let onBranch = Set(try fixture.gitCommits())
        #expect(Set(acknowledged.map(\.commit)).isSubset(of: onBranch), "every acknowledged commit is on the branch")
        try await fixture.withServer { client in
            for name in Set(acknowledged.map(\.name)) {
                let history = try await client.send(.get, "/api/projects/p1/prd/history/?name=\(name)&limit=1000")
                let commits = (history.object["revisions"] as? [[String: Any]])?.compactMap { $0["commit"] as? String } ?? []
                #expect(Set(commits) == Set(acknowledged.filter { $0.name == name }.map(\.commit)), "history of \(name) holds exactly its saves")
            }
            let shared = try await client.send(.get, "/api/projects/p1/prd/history/?name=shared&limit=1000")
            #expect((shared.object["revisions"] as? [Any])?.count == clients)
        }
        try git("-C", fixture.storeConfiguration.repositoryPath, "fsck", "--strict")
    }
}
