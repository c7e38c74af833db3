import FolioGit
import FolioTestSupport
import Foundation
import Testing

@Suite struct TextTests {
    @Test func aPatchCountsAddedAndRemovedLinesLikeGit() throws {
        let old = "alpha\nbeta\ngamma\ndelta\n"
        let new = "alpha\nBETA\ngamma\ndelta\nepsilon\n"
        let patch = try TextPatch.between(old, new, path: "p/prd/x.json")
        #expect(patch.additions == 2)
        #expect(patch.deletions == 1)
        #expect(patch.unified.contains("--- a/p/prd/x.json\n+++ b/p/prd/x.json\n"))
        #expect(patch.unified.contains("-beta\n+BETA\n"))
        #expect(patch.hunks.count == 1)
        #expect(patch.hunks[0].lines.filter { $0.origin == "+" }.map(\.text) == ["BETA", "epsilon"])

        // The same counts as `git diff --no-index --numstat`.
        let folder = TemporaryDirectory("patch")
        try old.write(toFile: folder.child("a"), atomically: true, encoding: .utf8)
        try new.write(toFile: folder.child("b"), atomically: true, encoding: .utf8)
        let result = try runCommand("/usr/bin/env", ["git", "diff", "--no-index", "--numstat", folder.child("a"), folder.child("b")])
        #expect(result.stdout.hasPrefix("2\t1\t"))
    }

    @Test func equalTextsGiveAnEmptyPatch() throws {
        let patch = try TextPatch.between("same\n", "same\n", path: "x")
        #expect(patch.unified.isEmpty && patch.hunks.isEmpty && patch.additions == 0 && patch.deletions == 0)
    }

    @Test func editsThatDoNotOverlapMergeCleanly() throws {
        let base = "one\ntwo\nthree\nfour\nfive\nsix\n"
        let ours = "ONE\ntwo\nthree\nfour\nfive\nsix\n"
        let theirs = "one\ntwo\nthree\nfour\nfive\nSIX\n"
        let merge = try FileMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merge.isClean)
        #expect(merge.text == "ONE\ntwo\nthree\nfour\nfive\nSIX\n")
    }

    @Test func overlappingEditsConflictWithMarkers() throws {
        let merge = try FileMerge.merge(base: "a\nb\nc\n", ours: "a\nX\nc\n", theirs: "a\nY\nc\n")
        #expect(!merge.isClean)
        #expect(merge.text.contains("<<<<<<< current\nX\n=======\nY\n>>>>>>> yours"))
    }

    @Test func blobIdsMatchGitHashObject() throws {
        let folder = TemporaryDirectory("hash")
        try "hello folio\n".write(toFile: folder.child("f"), atomically: true, encoding: .utf8)
        let expected = try git("hash-object", folder.child("f")).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Repository.hashBlob(Data("hello folio\n".utf8)).hex == expected)
    }
}
