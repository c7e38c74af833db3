import FolioStore
import FolioTestSupport
import Foundation
import Testing

/// `folio save-batch PROJECT DIR`: a folder of files saved as one commit.
@Suite struct SaveBatchCommandTests {
    let folder = TemporaryDirectory("cli-batch")

    var repository: String { folder.child("repo.git") }

    func folio(_ arguments: String..., input: String = "") throws -> CommandResult {
        try runCommand(folioExecutable, arguments, input: Data(input.utf8), environment: [
            "FOLIO_REPO_PATH": repository, "FOLIO_DATABASE_URL": "sqlite:" + folder.child("catalog.sqlite"),
            "MEDIA_ROOT": folder.child("media"), "FOLIO_FAILPOINT": "",
        ], directory: folder.path)
    }

    func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: folder.child(path))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func commitCount() throws -> Int {
        Int(try git("-C", repository, "rev-list", "--count", "main").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func show(_ path: String, at revision: String = "main") throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(git("-C", repository, "show", "\(revision):\(path)").utf8)) as? [String: Any] ?? [:]
    }

    @Test func aFolderIsSavedAsOneCommitAndAnExportedFolderRoundTrips() throws {
        #expect(try folio("save", "p1/prd/main_prd.json", "--author", "ann", "--metadata", #"{"prd_id": 1}"#, input: "# PRD\n").status == 0)
        try write("# PRD\n\nEdited as Markdown.\n", to: "in/prd/main_prd.md")
        try write(##"{"content": "# Pricing\n", "metadata": {"prd_id": 2}, "type": "prd"}"##, to: "in/prd/pricing.json")
        try write(#"{"content": "1. Cart\n", "metadata": {}, "type": "implementation"}"#, to: "in/implementation/implementation_plan.json")
        try write("ignored", to: "in/prd/.DS_Store")

        let saved = try folio("save-batch", "p1", folder.child("in"), "--author", "bea", "--message", "From a folder", "--json")
        #expect(saved.status == 0, "\(saved.stderr)")
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(saved.stdout.utf8)) as? [String: Any])
        let commit = try #require(reply["commit"] as? String)
        // Files go in key order: implementation/ before prd/.
        #expect((reply["files"] as? [[String: Any]])?.map { $0["file_key"] as? String } == [
            "p1/implementation/implementation_plan.json", "p1/prd/main_prd.json", "p1/prd/pricing.json",
        ])
        #expect((reply["files"] as? [[String: Any]])?.map { $0["action"] as? String } == ["create", "update", "create"])
        #expect(try commitCount() == 2, "one commit for the whole folder")
        #expect(try git("-C", repository, "log", "-1", "--format=%H|%an|%s|%b", "main").hasPrefix("\(commit)|bea|Change 3 files|From a folder"))
        let main = try show("p1/prd/main_prd.json")
        #expect(main["content"] as? String == "# PRD\n\nEdited as Markdown.\n")
        #expect((main["metadata"] as? [String: Any])?["prd_id"] as? Int == 1, "a Markdown file keeps the file's metadata")
        #expect((try show("p1/prd/pricing.json")["metadata"] as? [String: Any])?["prd_id"] as? Int == 2)

        // Export (git archive's layout), edit one file, remove another, save back with --delete-missing.
        let out = folder.child("out")
        _ = try gitArchiveContents(repository: repository, commit: commit, project: "p1", into: out)
        try write(##"{"content": "# Pricing v2\n", "metadata": {"prd_id": 2}, "type": "prd"}"##, to: "out/p1/prd/pricing.json")
        try FileManager.default.removeItem(atPath: out + "/p1/implementation/implementation_plan.json")
        // Saved by someone else: the files the folder holds as they are stay as they are (no new revision
        // just to name another author).
        let again = try folio("save-batch", "p1", out, "--author", "carl", "--base", commit, "--delete-missing")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("delete p1/implementation/implementation_plan.json"))
        #expect(again.stdout.contains("update p1/prd/pricing.json") && again.stdout.contains("unchanged p1/prd/main_prd.json"))
        #expect(again.stdout.contains("committed ") && again.stdout.contains("2 changed, 1 unchanged"), "\(again.stdout)")
        #expect(try commitCount() == 3)
        #expect(try git("-C", repository, "ls-tree", "-r", "--name-only", "main") == "p1/prd/main_prd.json\np1/prd/pricing.json\n")
        #expect(try git("-C", repository, "log", "--format=%an", "main", "--", "p1/prd/main_prd.json") == "bea\nann\n")
        #expect(try git("-C", repository, "log", "-1", "--format=%an", "main", "--", "p1/prd/pricing.json") == "carl\n")

        // The same folder again changes nothing.
        let unchanged = try folio("save-batch", "p1", out, "--author", "dora", "--json")
        let nothing = try #require(try JSONSerialization.jsonObject(with: Data(unchanged.stdout.utf8)) as? [String: Any])
        #expect(nothing["commit"] is NSNull && nothing["changed"] as? Bool == false, "\(unchanged.stdout)")
        #expect((nothing["files"] as? [[String: Any]])?.map { $0["changed"] as? Bool } == [false, false])
        #expect(try commitCount() == 3)
    }

    @Test func anyInvalidFileInTheFolderSavesNothing() throws {
        #expect(try folio("save", "p1/prd/main_prd.json", "--author", "ann", input: "one\ntwo\nthree\n").status == 0)
        let base = try git("-C", repository, "rev-parse", "main").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try folio("save", "p1/prd/main_prd.json", "--author", "ann", input: "one\nTWO (ann)\nthree\n").status == 0)
        try write("a valid file\n", to: "dir/prd/fine.md")

        let cases: [(String, String, Int32, String)] = [
            ("dir/prd/bad name.md", "x", 2, "bad name.md"),
            ("dir/notes/x.md", "x", 2, "notes"),
            ("dir/prd/x.txt", "x", 2, "x.txt"),
            ("dir/prd/broken.json", "{not json", 2, "broken.json"),
            ("dir/implementation/plan.json", #"{"content": "x", "type": "prd"}"#, 2, "a 'prd' envelope in the implementation folder"),
            ("dir/prd/fine.json", #"{"content": "twice", "type": "prd"}"#, 2, "are the same file"),
            ("dir/prd/main_prd.md", "one\nTWO (bob)\nthree\n", 4, "main_prd.md: p1/prd/main_prd.json changed since the base commit"),
        ]
        for (path, text, status, named) in cases {
            try write(text, to: path)
            let refused = try folio("save-batch", "p1", folder.child("dir"), "--author", "bob", "--base", base)
            #expect(refused.status == status, "\(path): \(refused.stderr)")
            #expect(refused.stderr.contains(named), "\(path): \(refused.stderr)")
            #expect(try commitCount() == 2, "\(path): nothing was written")
            try FileManager.default.removeItem(atPath: folder.child(path.hasPrefix("dir/notes/") ? "dir/notes" : path))
        }
        let missing = try folio("save-batch", "p1", folder.child("nowhere"), "--author", "bob")
        #expect(missing.status == 2 && missing.stderr.contains("is not a folder"))
        #expect(try folio("save-batch", "p1", folder.child("dir"), "--author", "bob").status == 0, "the folder as it was is fine")
    }
}
