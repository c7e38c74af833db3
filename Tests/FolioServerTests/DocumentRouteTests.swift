import FolioServer
import FolioStore
import FolioTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Loading, saving and deleting documents over HTTP, with ETags and optimistic locking.
@Suite struct DocumentRouteTests {
    @Test func aSavedPRDLoadsBackWithItsCommitAndETag() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let created = try await client.save(
                "main_prd", "# Main PRD\n", by: "john_doe", extra: ["metadata": ["prd_id": 123, "prd_name": "Main PRD"], "message": "first draft"])
            #expect(created.status == .created)
            #expect(created.object["file_key"] as? String == "p1/prd/main_prd.json")
            #expect(created.object["created"] as? Bool == true && created.object["changed"] as? Bool == true)
            #expect(created.object["merged"] as? Bool == false && created.object["action"] as? String == "create")
            #expect(created.headers[.eTag] == "\"\(created.commit)\"")

            let loaded = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(loaded.status == .ok)
            #expect(loaded.headers[.eTag] == "\"\(created.commit)\"")
            let document = loaded.object
            #expect(document["content"] as? String == "# Main PRD\n")
            #expect(document["commit"] as? String == created.commit)
            #expect(document["source"] as? String == "git")
            #expect(document["type"] as? String == "prd")
            #expect(document["updated_by"] as? String == "john_doe")
            #expect((document["metadata"] as? [String: Any])?["prd_id"] as? Int == 123)
            let updatedAt = try #require(document["updated_at"] as? String)
            #expect(ISO8601DateFormatter().date(from: updatedAt) != nil, "updated_at is ISO 8601: \(updatedAt)")

            // Loaded again, the reply (now from the reply cache) is byte for byte the same.
            let again = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(again.body == loaded.body && again.headers[.eTag] == loaded.headers[.eTag])

            let updated = try await client.save("main_prd", "# Main PRD\nv2\n", by: "jane")
            #expect(updated.status == .ok)
            // A cached reply never outlives a save: the next load names the new commit and content.
            let reloaded = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(reloaded.object["content"] as? String == "# Main PRD\nv2\n" && reloaded.object["commit"] as? String == updated.commit)
            #expect(reloaded.object["updated_by"] as? String == "jane")
            #expect(updated.object["created"] as? Bool == false && updated.object["action"] as? String == "update")
            let unchanged = try await client.save("main_prd", "# Main PRD\nv2\n", by: "jane")
            #expect(unchanged.status == .ok && unchanged.object["changed"] as? Bool == false && unchanged.commit == updated.commit)
        }
        let author = try git("-C", fixture.storeConfiguration.repositoryPath, "log", "-1", "--format=%an <%ae>")
        #expect(author == "jane <jane@users.folio.invalid>\n")
    }

    @Test func pathsWorkWithAndWithoutTheTrailingSlashAndForBothTypes() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let plan = try await client.send(.post, "/api/projects/p1/implementation", json: ["content": "step 1", "updated_by": "a"])
            #expect(plan.status == .created)
            #expect(plan.object["file_key"] as? String == "p1/implementation/implementation_plan.json", "the default name")
            #expect(try await client.send(.get, "/api/projects/p1/implementation").object["content"] as? String == "step 1")
            #expect(try await client.send(.get, "/api/projects/p1/implementation/").object["content"] as? String == "step 1")
            #expect(try await client.send(.get, "/api/projects/p1/implementation/history").status == .ok)
            #expect(try await client.send(.get, "/api/projects/p1/implementation/history/").status == .ok)
            _ = try await client.save("design", "other prd")
            let named = try await client.send(.get, "/api/projects/p1/prd/?name=design")
            #expect(named.object["file_key"] as? String == "p1/prd/design.json" && named.object["content"] as? String == "other prd")
        }
        #expect(FileManager.default.fileExists(atPath: fixture.mirrorPath("p1/implementation/implementation_plan.json")))
    }

    @Test func ifNoneMatchWithTheCurrentCommitGets304() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let commit = try await client.save("main_prd", "v1").commit
            for tag in ["\"\(commit)\"", commit, "W/\"\(commit)\"", "\"feed\", \"\(commit)\"", "*"] {
                let cached = try await client.send(.get, "/api/projects/p1/prd/", headers: [.ifNoneMatch: tag])
                #expect(cached.status == .notModified, "If-None-Match: \(tag)")
                #expect(cached.body.readableBytes == 0 && cached.headers[.eTag] == "\"\(commit)\"")
            }
            let stale = try await client.send(.get, "/api/projects/p1/prd/", headers: [.ifNoneMatch: "\"0000000\""])
            #expect(stale.status == .ok && stale.object["content"] as? String == "v1")
        }
    }

    @Test func aStaleIfMatchWithoutBaseCommitIsRefusedWith412() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let first = try await client.save("main_prd", "v1").commit
            let second = try await client.save("main_prd", "v2", by: "bob").commit
            let refused = try await client.save("main_prd", "v3 from a stale copy", headers: [.ifMatch: "\"\(first)\""])
            #expect(refused.status == .preconditionFailed)
            #expect(refused.errorCode == "precondition_failed")
            #expect((refused.error["current"] as? [String: Any])?["commit"] as? String == second)
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["content"] as? String == "v2", "nothing was written")

            let fresh = try await client.save("main_prd", "v3", headers: [.ifMatch: "\"\(second)\""])
            #expect(fresh.status == .ok && fresh.object["changed"] as? Bool == true)
            let bare = try await client.save("main_prd", "v4", headers: [.ifMatch: fresh.commit])
            #expect(bare.status == .ok, "a bare commit id works as well as a quoted one")

            let absent = try await client.save("new_file", "x", headers: [.ifMatch: "*"])
            #expect(absent.status == .preconditionFailed, "If-Match: * needs the file to exist")
            #expect(try await client.send(.get, "/api/projects/p1/prd/?name=new_file").status == .notFound)
        }
    }

    @Test func aStaleBaseWithoutOverlapMergesCleanly() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let base = try await client.save("main_prd", "title\n\nintro\n\nbody\n\nend\n").commit
            _ = try await client.save("main_prd", "TITLE\n\nintro\n\nbody\n\nend\n", by: "bob")
            let merged = try await client.save("main_prd", "title\n\nintro\n\nbody\n\nEND\n", by: "carol", extra: ["base_commit": base])
            #expect(merged.status == .ok)
            #expect(merged.object["merged"] as? Bool == true && merged.object["changed"] as? Bool == true)
            let loaded = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(loaded.object["content"] as? String == "TITLE\n\nintro\n\nbody\n\nEND\n")
            #expect(loaded.headers[.eTag] == "\"\(merged.commit)\"")

            // If-Match names a stale version, but base_commit asks for merge semantics.
            let viaHeader = try await client.save(
                "main_prd", "title\n\nintro, longer\n\nbody\n\nend\n", by: "dave", extra: ["base_commit": base], headers: [.ifMatch: "\"\(base)\""])
            #expect(viaHeader.status == .ok && viaHeader.object["merged"] as? Bool == true)
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["content"] as? String == "TITLE\n\nintro, longer\n\nbody\n\nEND\n")
        }
    }

    @Test func overlappingEditsAreRefusedWith409CarryingTheCurrentVersionAndTheConflict() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let base = try await client.save("main_prd", "one\ntwo\nthree\n").commit
            let theirs = try await client.save("main_prd", "one\nTWO (bob)\nthree\n", by: "bob", extra: ["metadata": ["prd_id": 7]])
            let refused = try await client.save("main_prd", "one\nTWO (carol)\nthree\n", by: "carol", extra: ["base_commit": base])
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "conflict")
            let current = try #require(refused.error["current"] as? [String: Any])
            #expect(current["commit"] as? String == theirs.commit)
            #expect(current["content"] as? String == "one\nTWO (bob)\nthree\n")
            #expect((current["metadata"] as? [String: Any])?["prd_id"] as? Int == 7)
            let conflict = try #require(refused.error["conflict"] as? String)
            #expect(conflict.contains("<<<<<<<") && conflict.contains("TWO (bob)") && conflict.contains("TWO (carol)") && conflict.contains(">>>>>>>"))
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["commit"] as? String == theirs.commit, "nothing was written")
        }
    }

    @Test func deleteRemovesTheFileFromMirrorAndCatalogButKeepsHistory() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            let saved = try await client.save("main_prd", "to be removed")
            fixture.store.flushMirror()
            #expect(FileManager.default.fileExists(atPath: fixture.mirrorPath("p1/prd/main_prd.json")))

            let missingAuthor = try await client.send(.delete, "/api/projects/p1/prd/")
            #expect(missingAuthor.status == .badRequest && missingAuthor.errorField == "updated_by")

            let deleted = try await client.send(.delete, "/api/projects/p1/prd/?name=main_prd&updated_by=carol")
            #expect(deleted.status == .ok)
            #expect(deleted.object["action"] as? String == "delete" && deleted.object["file_key"] as? String == "p1/prd/main_prd.json")
            fixture.store.flushMirror()
            #expect(!FileManager.default.fileExists(atPath: fixture.mirrorPath("p1/prd/main_prd.json")))
            #expect(try await client.send(.get, "/api/projects/p1/prd/").status == .notFound)
            let listed = try await client.send(.get, "/api/projects/p1/files/")
            #expect((listed.object["files"] as? [Any])?.isEmpty == true)

            let history = try await client.send(.get, "/api/projects/p1/prd/history/")
            let commits = (history.object["revisions"] as? [[String: Any]])?.compactMap { $0["commit"] as? String }
            #expect(commits == [deleted.commit, saved.commit], "history stays")
            #expect(try await client.send(.get, "/api/projects/p1/prd/revisions/\(saved.commit)").object["content"] as? String == "to be removed")

            let again = try await client.send(.delete, "/api/projects/p1/prd/?updated_by=carol")
            #expect(again.status == .notFound && again.errorCode == "not_found")

            _ = try await client.save("other", "x")
            let withBody = try await client.send(.delete, "/api/projects/p1/prd/", json: ["name": "other", "updated_by": "dave", "message": "obsolete"])
            #expect(withBody.status == .ok)
        }
        #expect(try git("-C", fixture.storeConfiguration.repositoryPath, "log", "-1", "--format=%an|%B").hasPrefix("dave|Delete prd p1/other\n\nobsolete"))
    }

    @Test func theProjectsFilesAreListedOptionallyByType() async throws {
        let fixture = try ServerFixture()
        try await fixture.withServer { client in
            _ = try await client.save("main_prd", "a")
            _ = try await client.save("second", "b", by: "bob")
            _ = try await client.send(.post, "/api/projects/p1/implementation/", json: ["content": "plan", "updated_by": "c"])
            _ = try await client.save("main_prd", "other project", project: "p2")
            let all = try await client.send(.get, "/api/projects/p1/files/")
            #expect(all.status == .ok && all.object["project_id"] as? String == "p1")
            let files = try #require(all.object["files"] as? [[String: Any]])
            #expect(Set(files.compactMap { $0["file_key"] as? String }) == [
                "p1/prd/main_prd.json", "p1/prd/second.json", "p1/implementation/implementation_plan.json",
            ])
            let second = try #require(files.first { $0["name"] as? String == "second" })
            #expect(second["type"] as? String == "prd" && second["updated_by"] as? String == "bob" && (second["commit"] as? String)?.count == 40)
            let plans = try await client.send(.get, "/api/projects/p1/files?type=implementation")
            #expect((plans.object["files"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["implementation_plan"])
            let badType = try await client.send(.get, "/api/projects/p1/files/?type=design")
            #expect(badType.status == .badRequest && badType.errorField == "type")
        }
    }

    @Test func legacyDatabaseContentLoadsWithSourceDatabase() async throws {
        let fixture = try ServerFixture()
        let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
        try fixture.store.importLegacy(key, content: "from the old system", metadata: ["prd_id": .int(9)], updatedBy: "legacy_user")
        try await fixture.withServer { client in
            let loaded = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(loaded.status == .ok)
            #expect(loaded.object["source"] as? String == "database" && loaded.object["content"] as? String == "from the old system")
            #expect(loaded.object["commit"] is NSNull && loaded.headers[.eTag] == nil)
            let saved = try await client.save("main_prd", "moved into git")
            #expect(saved.status == .created)
            #expect(try await client.send(.get, "/api/projects/p1/prd/").object["source"] as? String == "git")
        }
    }

    @Test func loadFallsBackToTheMirrorWhenGitCannotServeTheFile() async throws {
        let fixture = try ServerFixture()
        let commit = try await fixture.withServer { client in try await client.save("main_prd", "kept in the mirror").commit }
        fixture.store.flushMirror()
        // A damaged repository: the pack holding the blob is gone.
        let packs = fixture.storeConfiguration.repositoryPath + "/objects/pack"
        for file in try FileManager.default.contentsOfDirectory(atPath: packs) {
            try FileManager.default.removeItem(atPath: packs + "/" + file)
        }
        try fixture.reopen()
        try await fixture.withServer { client in
            let loaded = try await client.send(.get, "/api/projects/p1/prd/")
            #expect(loaded.status == .ok)
            #expect(loaded.object["source"] as? String == "mirror" && loaded.object["content"] as? String == "kept in the mirror")
            #expect(loaded.object["commit"] as? String == commit)
        }
    }
}
