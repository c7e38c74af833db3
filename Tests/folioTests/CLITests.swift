import FolioSupport
import FolioStore
import FolioTestSupport
import Foundation
import Testing

/// The `folio` executable, run as a user or script would.
@Suite struct CLITests {
    let folder = TemporaryDirectory("cli")

    var environment: [String: String] {
        ["FOLIO_REPO_PATH": folder.child("repo.git"), "FOLIO_DATABASE_URL": "sqlite:" + folder.child("catalog.sqlite"),
         "MEDIA_ROOT": folder.child("media"), "FOLIO_FAILPOINT": ""]
    }

    @discardableResult
    func folio(_ arguments: String..., input: String? = nil, extra: [String: String] = [:]) throws -> CommandResult {
        try folio(arguments, input: input.map { Data($0.utf8) }, extra: extra)
    }

    func folio(_ arguments: [String], input: Data?, extra: [String: String] = [:]) throws -> CommandResult {
        var env = environment
        for (name, value) in extra { env[name] = value }
        return try runCommand(folioExecutable, arguments, input: input ?? Data(), environment: env, directory: folder.path)
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test func theCommandsWorkEndToEnd() throws {
        #expect(FileManager.default.isExecutableFile(atPath: folioExecutable), "the test command builds folio first")
        #expect(try folio("init").status == 0)
        #expect(try folio("init").status == 0, "init is idempotent")

        let created = try folio("save", "p1/prd/main_prd.json", "--author", "alice", "--metadata", #"{"prd_id": 1}"#, "--json", input: "line one\nline two\n")
        #expect(created.status == 0, "\(created.stderr)")
        let first = try #require(try json(created.stdout) as? [String: Any])
        #expect(first["changed"] as? Bool == true && first["created"] as? Bool == true)
        let c1 = try #require(first["commit"] as? String)

        try "line one\nline 2\n".write(toFile: folder.child("v2.txt"), atomically: true, encoding: .utf8)
        let updated = try folio("save", "p1/prd/main_prd.json", "--author", "bob", "--file", folder.child("v2.txt"), "--message", "fix two", "--json")
        let second = try #require(try json(updated.stdout) as? [String: Any])
        let c2 = try #require(second["commit"] as? String)

        #expect(try folio("get", "p1/prd/main_prd.json").stdout == "line one\nline 2\n")
        let got = try #require(try json(folio("get", "p1/prd/main_prd.json", "--json").stdout) as? [String: Any])
        #expect(got["commit"] as? String == c2 && got["source"] as? String == "git" && got["updated_by"] as? String == "bob")
        #expect(try folio("get", "p1/prd/main_prd.json", "--at", c1).stdout == "line one\nline two\n")

        let log = try #require(try json(folio("log", "p1/prd/main_prd.json", "--json").stdout) as? [[String: Any]])
        #expect(log.map { $0["commit"] as? String } == [c2, c1])
        #expect(log.map { $0["author"] as? String } == ["bob", "alice"])
        #expect(log.first?["message"] as? String == "fix two" && log.first?["action"] as? String == "update")
        let paged = try #require(try json(folio("log", "p1/prd/main_prd.json", "--limit", "1", "--cursor", "2", "--json").stdout) as? [[String: Any]])
        #expect(paged.map { $0["commit"] as? String } == [c1])

        let blame = try #require(try json(folio("blame", "p1/prd/main_prd.json", "--json").stdout) as? [String: Any])
        let blamed = blame["lines"] as? [[String: Any]] ?? []
        #expect(blamed.map { $0["author"] as? String } == ["alice", "bob"])
        #expect(blamed.map { $0["commit"] as? String } == [c1, c2])
        #expect(try folio("blame", "p1/prd/main_prd.json", "--at", c1).stdout.contains("alice  2: line two"))

        let diff = try folio("diff", "p1/prd/main_prd.json", c1)
        #expect(diff.stdout.contains("-line two\n+line 2\n"))
        let words = try #require(try json(folio("diff", "p1/prd/main_prd.json", c1, c2, "--word", "--json").stdout) as? [String: Any])
        #expect(words["text"] as? String == "line one\nline [-two-]{+2+}\n")

        let listed = try #require(try json(folio("ls", "p1", "--json").stdout) as? [[String: Any]])
        #expect(listed.map { $0["file_key"] as? String } == ["p1/prd/main_prd.json"])

        #expect(try folio("rm", "p1/prd/main_prd.json", "--author", "carol").status == 0)
        #expect(try folio("get", "p1/prd/main_prd.json").status == 3)
        #expect(!FileManager.default.fileExists(atPath: folder.child("media/projects/p1/prd/main_prd.json")))
        #expect(try folio("restore", "p1/prd/main_prd.json", c1, "--author", "dave").status == 0)
        #expect(try folio("get", "p1/prd/main_prd.json").stdout == "line one\nline two\n")
        let mirrored = try String(contentsOfFile: folder.child("media/projects/p1/prd/main_prd.json"), encoding: .utf8)
        #expect(mirrored == (try git("-C", folder.child("repo.git"), "show", "main:p1/prd/main_prd.json")))
        #expect(try git("-C", folder.child("repo.git"), "log", "--format=%an|%s").split(separator: "\n") == [
            "dave|Restore prd p1/main_prd", "carol|Delete prd p1/main_prd", "bob|Update prd p1/main_prd", "alice|Create prd p1/main_prd",
        ])
        let unchanged = try folio("save", "p1/prd/main_prd.json", "--author", "dave", "--metadata", #"{"prd_id": 1}"#, input: "line one\nline two\n")
        #expect(unchanged.stdout.hasPrefix("unchanged"))
    }

    @Test func badInputExitsNonZeroWithOneLineAndWritesNothing() throws {
        let cases: [([String], Data)] = [
            (["save", "../etc/prd/x.json", "--author", "a"], Data("x".utf8)),
            (["save", "p1/prd/.json", "--author", "a"], Data("x".utf8)),
            (["save", String(repeating: "p", count: 500) + "/prd/x.json", "--author", "a"], Data("x".utf8)),
            (["save", "p1/prd/a/b.json", "--author", "a"], Data("x".utf8)),
            (["save", "p1/design/x.json", "--author", "a"], Data("x".utf8)),
            (["save", "p1/prd/x.json", "--author", ""], Data("x".utf8)),
            (["save", "p1/prd/x.json", "--author", "a"], Data([0x66, 0xff, 0xfe, 0x6f])),
            (["save", "p1/prd/x.json", "--author", "a"], Data(repeating: 0x61, count: 64)),
            (["save", "p1/prd/x.json", "--author", "a", "--metadata", "[1]"], Data("x".utf8)),
            (["save", "p1/prd/x.json", "--author", "a", "--base", "feedfacefeedface"], Data("x".utf8)),
            (["get", "p1/prd/missing.json"], Data()),
            (["log", "p1/prd/missing.json"], Data()),
            (["diff", "p1/prd/x.json", "nothex"], Data()),
            (["restore", "p1/prd/x.json", "abcdef0", "--author", "a"], Data()),
            (["rm", "p1/prd/x.json", "--author", "a"], Data()),
        ]
        for (arguments, input) in cases {
            let result = try folio(arguments, input: input, extra: ["FOLIO_MAX_CONTENT_BYTES": "32"])
            #expect(result.status != 0, "\(arguments) should fail")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines.first?.hasPrefix("folio: ") == true, "\(arguments): \(result.stderr)")
        }
        #expect(try folio("save", "p1/prd/x.json", "--author", "a", input: "y").stderr.isEmpty)  // the store opened fine
        let log = try git("-C", folder.child("repo.git"), "log", "--format=%s")
        #expect(log == "Create prd p1/x\n", "only the one good save was committed")
    }

    @Test func twoProcessesSavingAtOnceLoseNoSave() throws {
        #expect(try folio("init").status == 0)
        let perProcess = 15
        let outputs = try (0..<2).map { writer -> ChildProcess in
            // Each process is a shell loop of `folio save` calls: every save is its own process too.
            let script = """
                for i in $(seq 1 \(perProcess)); do
                  echo "writer \(writer) save $i" | "$FOLIO" save p1/prd/shared.json --author w\(writer) --json | grep '"commit"' || exit 1
                  echo "own \(writer) $i" | "$FOLIO" save p1/prd/own\(writer).json --author w\(writer) --json | grep '"commit"' || exit 1
                done
                """
            var env = ProcessInfo.processInfo.environment
            for (name, value) in environment { env[name] = value }
            env["FOLIO"] = folioExecutable
            let process = try ChildProcess(executable: "/bin/sh", arguments: ["-c", script], environment: env)
            try process.standardInput.close()
            return process
        }
        var acknowledged: [String] = []
        for process in outputs {
            let (output, errors) = process.readOutputsToEnd()
            let text = String(decoding: output, as: UTF8.self)
            #expect(try process.waitForExit() == .exited(0), "\(String(decoding: errors, as: UTF8.self))")
            acknowledged += text.split(separator: "\n").compactMap { line in
                line.split(separator: "\"").dropFirst(3).first.map(String.init)
            }
        }
        #expect(acknowledged.count == 4 * perProcess)
        let onBranch = Set(try git("-C", folder.child("repo.git"), "rev-list", "main").split(separator: "\n").map(String.init))
        #expect(Set(acknowledged).isSubset(of: onBranch))
        let history = try #require(try json(folio("log", "p1/prd/shared.json", "--limit", "1000", "--json").stdout) as? [[String: Any]])
        #expect(history.count == 2 * perProcess)
        var catalogCommits = Set(history.compactMap { $0["commit"] as? String })
        for writer in 0..<2 {
            let own = try #require(try json(folio("log", "p1/prd/own\(writer).json", "--json").stdout) as? [[String: Any]])
            #expect(own.count == perProcess)
            catalogCommits.formUnion(own.compactMap { $0["commit"] as? String })
        }
        #expect(catalogCommits == Set(acknowledged), "every acknowledged save is in the catalog's history")
        try git("-C", folder.child("repo.git"), "fsck", "--strict")
    }

    @Test func aCrashBetweenCommitAndCatalogIsRepairedOnTheNextStart() throws {
        #expect(try folio("save", "p1/prd/a.json", "--author", "ann", input: "one").status == 0)
        let crashed = try folio("save", "p1/prd/a.json", "--author", "bob", "--json", input: "two", extra: ["FOLIO_FAILPOINT": "after-ref"])
        #expect(crashed.status == 75 && crashed.stdout.isEmpty, "the process died before acknowledging")
        let tip = try git("-C", folder.child("repo.git"), "rev-parse", "main").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try git("-C", folder.child("repo.git"), "log", "-1", "--format=%an", "main") == "bob\n", "the commit is in git")
        // The mirror still has the old version.
        #expect(try String(contentsOfFile: folder.child("media/projects/p1/prd/a.json"), encoding: .utf8).contains("\"one\""))

        // Any next start ingests the commit and republishes the mirror.
        let log = try #require(try json(folio("log", "p1/prd/a.json", "--json").stdout) as? [[String: Any]])
        #expect(log.first?["commit"] as? String == tip && log.first?["author"] as? String == "bob" && log.count == 2)
        #expect(try String(contentsOfFile: folder.child("media/projects/p1/prd/a.json"), encoding: .utf8).contains("\"two\""))
    }

    @Test func aCrashBetweenCatalogAndMirrorIsRepairedOnTheNextStart() throws {
        #expect(try folio("save", "p1/prd/a.json", "--author", "ann", input: "one").status == 0)
        let crashed = try folio("save", "p1/prd/a.json", "--author", "bob", input: "two", extra: ["FOLIO_FAILPOINT": "after-catalog"])
        #expect(crashed.status == 75)
        #expect(try String(contentsOfFile: folder.child("media/projects/p1/prd/a.json"), encoding: .utf8).contains("\"one\""))
        #expect(try folio("ls", "p1").status == 0)
        #expect(try String(contentsOfFile: folder.child("media/projects/p1/prd/a.json"), encoding: .utf8).contains("\"two\""))
    }

    @Test func reindexRebuildsTheCatalogFromGit() throws {
        for index in 1...3 { #expect(try folio("save", "p1/prd/a.json", "--author", "u\(index)", input: "v\(index)").status == 0) }
        let before = try folio("log", "p1/prd/a.json", "--json").stdout
        try FileManager.default.removeItem(atPath: folder.child("catalog.sqlite"))
        try? FileManager.default.removeItem(atPath: folder.child("catalog.sqlite-wal"))
        try? FileManager.default.removeItem(atPath: folder.child("catalog.sqlite-shm"))
        #expect(try folio("reindex").status == 0)
        #expect(try folio("log", "p1/prd/a.json", "--json").stdout == before)
    }

    @Test func legacyRowsImportAndMoveIntoGitOnFirstSave() throws {
        let rows = #"{"project_id": "old1", "type": "prd", "name": "main_prd", "content": "from the old db", "metadata": {"prd_id": 9}, "updated_by": "past"}"#
        #expect(try folio("import-legacy", "-", input: rows + "\n").status == 0)
        let loaded = try #require(try json(folio("get", "old1/prd/main_prd.json", "--json").stdout) as? [String: Any])
        #expect(loaded["source"] as? String == "database" && loaded["content"] as? String == "from the old db")
        #expect(try folio("save", "old1/prd/main_prd.json", "--author", "now", input: "moved").status == 0)
        let moved = try #require(try json(folio("get", "old1/prd/main_prd.json", "--json").stdout) as? [String: Any])
        #expect(moved["source"] as? String == "git")
        #expect(try folio("import-legacy", "-", input: #"{"project_id": "../x", "type": "prd", "content": "x"}"#).status != 0)
    }
}
