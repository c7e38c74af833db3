@testable import FolioHooks
import FolioStore
import FolioSupport
import Foundation
import XCTest

/// The rules a pushed file is held to, one by one (the end-to-end refusals over git are in
/// Tests/git/front_door.py).
final class PushCheckTests: XCTestCase {
    private let policy = PushPolicy(branchReference: "refs/heads/main", maxContentBytes: 16)

    private func problem(_ text: String, key: String = "p1/prd/a.json") throws -> String? {
        PushCheck.envelopeProblem(Data(text.utf8), key: try FileKey(parsing: key), policy: policy)?.problem
    }

    func testAValidEnvelopePasses() throws {
        XCTAssertNil(try problem(#"{"content": "hello", "metadata": {"a": 1}, "type": "prd"}"#))
        XCTAssertNil(try problem(#"{"content": "", "metadata": {}, "type": "implementation"}"#, key: "p1/implementation/b.json"))
    }

    func testEachBrokenRuleIsNamed() throws {
        let cases: [(String, String)] = [
            ("not json", "not valid JSON"),
            (#"["content"]"#, "not a JSON object"),
            (#"{"content": 1, "metadata": {}, "type": "prd"}"#, #""content" is"#),
            (#"{"metadata": {}, "type": "prd"}"#, #""content" is missing"#),
            (#"{"content": "x", "metadata": null, "type": "prd"}"#, #""metadata" is"#),
            (#"{"content": "x", "type": "prd"}"#, #""metadata" is missing"#),
            (#"{"content": "x", "metadata": {}, "type": "implementation"}"#, #""type" is "implementation" but the file is in prd/"#),
            (#"{"content": "x", "metadata": {}}"#, #""type" is missing"#),
            (#"{"content": "x", "metadata": {}, "type": "prd", "id": 3}"#, "fields other than content, metadata and type (id)"),
            (#"{"content": "12345678901234567", "metadata": {}, "type": "prd"}"#, "17 bytes; the limit is 16"),
            (#"{"content": "a\u0000b", "metadata": {}, "type": "prd"}"#, "NUL"),
        ]
        for (text, expected) in cases {
            let found = try problem(text)
            XCTAssertTrue(found?.contains(expected) == true, "\(text): \(found ?? "no problem found")")
        }
    }

    func testInvalidUTF8IsRefusedBeforeParsing() throws {
        var data = Data(#"{"content": "caf"#.utf8)
        data.append(0xE9)
        data.append(contentsOf: Data(#"", "metadata": {}, "type": "prd"}"#.utf8))
        let found = PushCheck.envelopeProblem(data, key: try FileKey(parsing: "p1/prd/a.json"), policy: policy)
        XCTAssertEqual(found?.problem, "it is not valid UTF-8")
    }

    func testTheContentLimitCountsUTF8Bytes() throws {
        // Eight two-byte characters are 16 bytes: at the limit. Nine are over it.
        XCTAssertNil(try problem(#"{"content": "éééééééé", "metadata": {}, "type": "prd"}"#))
        XCTAssertNotNil(try problem(#"{"content": "ééééééééé", "metadata": {}, "type": "prd"}"#))
    }

    func testRefUpdatesParseWithZeroIdsAsAbsent() throws {
        let zero = String(repeating: "0", count: 40), a = String(repeating: "a", count: 40)
        let updates = try RefUpdate.parse("\(zero) \(a) refs/heads/main\n\(a) \(zero) refs/heads/old\n")
        XCTAssertEqual(updates, [
            RefUpdate(old: nil, new: ObjectID(hex: a), name: "refs/heads/main"),
            RefUpdate(old: ObjectID(hex: a), new: nil, name: "refs/heads/old"),
        ])
        XCTAssertThrowsError(try RefUpdate.parse("not a ref line"))
    }

    func testOtherRefsFollowTheirPatterns() {
        let policy = PushPolicy(branchReference: "refs/heads/main", maxContentBytes: 1, otherRefs: ["refs/heads/drafts/*"])
        XCTAssertTrue(policy.allowsOther("refs/heads/drafts/x"))
        XCTAssertFalse(policy.allowsOther("refs/heads/feature"))
        XCTAssertFalse(policy.allowsOther("refs/tags/v1"))
    }

    func testProblemsReadAsOneLineEach() {
        let problem = PushProblem(
            ref: "refs/heads/main", commit: ObjectID(hex: String(repeating: "b", count: 40)), subject: "Edit", path: "x.md",
            problem: "it is outside", fix: "move it")
        XCTAssertEqual(problem.description, #"commit bbbbbbb ("Edit"), x.md: it is outside; move it"#)
    }
}
