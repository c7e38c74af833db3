import FolioSupport
@testable import FolioHooks
import Foundation
import XCTest

final class HookScriptTests: XCTestCase {
    func testSettingsAreQuotedForTheShell() throws {
        let script = try HookInstaller.script(
            "pre-receive", folio: "/opt/fo lio/folio", settings: [(name: "FOLIO_DATABASE_URL", value: "postgres://u:p'w@h/db")])
        XCTAssertTrue(script.hasPrefix("#!/bin/sh\n"))
        XCTAssertTrue(script.contains(HookInstaller.marker))
        XCTAssertTrue(script.contains("export FOLIO_DATABASE_URL='postgres://u:p'\\''w@h/db'\n"), script)
        XCTAssertTrue(script.hasSuffix("exec '/opt/fo lio/folio' hooks run pre-receive\n"), script)
        // The shell reads back exactly the value.
        let shell = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "export X=\(HookInstaller.shellQuoted("a'b \"c\" $d")); printf %s \"$X\""], environment: [:])
        try shell.standardInput.close()
        shell.discardStandardError()
        let printed = shell.standardOutput.readDataToEndOfFile()
        XCTAssertEqual(try shell.waitForExit(), .exited(0))
        XCTAssertEqual(String(decoding: printed, as: UTF8.self), "a'b \"c\" $d")
    }

    func testTextconvShowsTypeMetadataAndContentLines() {
        let envelope = #"{"content": "line one\nline two", "metadata": {"b": 2, "a": "x\ny"}, "type": "prd"}"#
        let text = String(decoding: Textconv.render(Data(envelope.utf8)), as: UTF8.self)
        XCTAssertEqual(text, "type: prd\nmetadata.a: x\\ny\nmetadata.b: 2\n\nline one\nline two\n")
        // Anything else is shown as it is: a diff driver must not hide bytes.
        XCTAssertEqual(Textconv.render(Data("not json".utf8)), Data("not json".utf8))
    }
}
