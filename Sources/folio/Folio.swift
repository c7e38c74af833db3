import ArgumentParser
import FolioStore
import Foundation

/// The `folio` command: the store's operations for people and scripts.
@main
struct Folio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folio",
        abstract: "A versioned store for planning documents: every save is a git commit.",
        discussion: """
            Files are named by key: PROJECT/prd/NAME.json or PROJECT/implementation/NAME.json.
            Settings come from the environment (FOLIO_REPO_PATH, FOLIO_DATABASE_URL, MEDIA_ROOT, ...);
            the flags below override them.
            """,
        subcommands: [
            InitCommand.self, SaveCommand.self, SaveBatchCommand.self, GetCommand.self, ListCommand.self, LogCommand.self, DiffCommand.self, BlameCommand.self,
            RestoreCommand.self, RemoveCommand.self, ReindexCommand.self, ImportLegacyCommand.self, MigrateLegacyCommand.self, ServeCommand.self,
            MirrorCommand.self, GCCommand.self, HooksCommand.self, TextconvCommand.self,
        ])
}
