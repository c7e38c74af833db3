@testable import FolioStore
import FolioGit
import Testing

/// Ingest reads every commit's message back into the user's message and each file's action.
@Suite struct CommitMessageTests {
    private func parsed(_ message: String) throws -> (user: String, actions: [String: Action]) {
        let trailers = try Repository.trailers(of: message)
        return (CommitMessage.userMessage(of: message, trailers: trailers), CommitMessage.actions(in: trailers))
    }

    @Test func folioMessagesGiveBackTheUsersMessageAndEachFilesAction() throws {
        let key = try FileKey(projectID: "p1", fileType: .prd, name: "main_prd")
        let other = try FileKey(projectID: "p1", fileType: .implementation, name: "plan")
        let one = CommitMessage.compose(changes: [(.restore, key)], userMessage: "  Bring back the goals\n\nsecond paragraph \n", token: "ci")
        #expect(try parsed(one).user == "Bring back the goals\n\nsecond paragraph")
        #expect(try parsed(one).actions == [key.path: .restore])
        let two = CommitMessage.compose(changes: [(.update, key), (.delete, other)], userMessage: nil)
        #expect(try parsed(two).user == "")
        #expect(try parsed(two).actions == [key.path: .update, other.path: .delete])
    }

    @Test func messagesMadeElsewhereKeepEverythingButTheirTrailers() throws {
        #expect(try parsed("Fix typo\n").user == "Fix typo")
        #expect(try parsed("Fix typo\n\nSigned-off-by: Ann <a@x>\n").user == "Fix typo")
        // A last paragraph that is not all trailers is the user's text.
        #expect(try parsed("Fix typo\n\nNote: read this\nand this too\n").user == "Fix typo\n\nNote: read this\nand this too")
        // Trailer keys compare without regard to case, and blank lines may hold spaces and tabs.
        let message = "Edit\n \t\nbody\n\nfolio-key: p1/prd/a.json\nFOLIO-ACTION: restore\n"
        #expect(try parsed(message).actions == ["p1/prd/a.json": .restore])
        #expect(try parsed(message).user == "body")
    }
}
