import ArgumentParser
import FolioHooks
import FolioStore
import Foundation
import FolioSupport
import Logging

struct HooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks", abstract: "Git hooks that make a push as safe as an API save.",
        subcommands: [HooksInstallCommand.self, HooksStatusCommand.self, HooksRunCommand.self])
}

struct HooksInstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Put pre-receive and post-receive into the repository, with this command's settings (idempotent).")
    @OptionGroup var options: StoreOptions
    @Flag(help: "Replace hooks that Folio did not write.") var force = false

    func run() async throws {
        try await runReporting {
            let configuration = try options.configuration()
            // Opening the store creates the repository and catalog when they are new, as other commands do.
            try options.openStore(drainMirror: false).close(drainMirror: false)
            let outcomes = try HookInstaller.install(
                repositoryPath: configuration.repositoryPath, folio: try HookSettings.executable(),
                settings: HookSettings.settings(for: configuration), force: force)
            for (name, outcome) in outcomes { print("\(name): \(outcome.rawValue)") }
        }
    }
}

struct HooksStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Say whether the repository's hooks are Folio's, as install would write them now.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
        try await runReporting {
            let configuration = try options.configuration()
            switch try HookInstaller.state(
                repositoryPath: configuration.repositoryPath, folio: try HookSettings.executable(),
                settings: HookSettings.settings(for: configuration))
            {
            case .current: print("current")
            case .outdated:
                print("outdated: run folio hooks install")
                throw ExitCode(1)
            case .foreign(let path):
                print("foreign: \(path) was not written by Folio")
                throw ExitCode(1)
            }
        }
    }
}

struct HooksRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a hook as git does (the installed hooks call this; it reads the ref updates on stdin).",
        shouldDisplay: false)
    @Argument(help: "pre-receive or post-receive.") var hook: String

    func run() async throws {
        let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        switch hook {
        case "pre-receive": try preReceive(input)
        case "post-receive": await postReceive(input)
        default:
            say("unknown hook '\(hook)'; Folio has pre-receive and post-receive")
            throw ExitCode(2)
        }
    }

    /// Refuses the push (non-zero exit) with one line per problem.
    private func preReceive(_ input: String) throws {
        do {
            let configuration = try StoreConfiguration.fromEnvironment()
            let environment = ProcessInfo.processInfo.environment
            // git keeps the pushed objects in a quarantine folder until this hook accepts them.
            let quarantine = [environment["GIT_QUARANTINE_PATH"], environment["GIT_OBJECT_DIRECTORY"]].compactMap { $0 }
            let problems = try PushCheck.problems(
                in: RefUpdate.parse(input), repositoryPath: configuration.repositoryPath, alternateObjectFolders: Array(Set(quarantine)),
                policy: PushPolicy(configuration: configuration))
            guard !problems.isEmpty else { return }
            say("push refused: \(problems.count) problem\(problems.count == 1 ? "" : "s"); nothing was changed")
            // A push of thousands of bad files needs the first few to act on, not all of them.
            for problem in problems.prefix(100) { say(problem.description) }
            if problems.count > 100 { say("… and \(problems.count - 100) more") }
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            say("push refused: the push could not be checked (\(error)); nothing was changed")
            throw ExitCode(1)
        }
    }

    /// Records the pushed commits and mirrors their files, and lands pushes to the landing ref; never
    /// fails the push, which has happened.
    private func postReceive(_ input: String) async {
        var landing: RefUpdate?
        var configuration: StoreConfiguration?
        do {
            let settings = try StoreConfiguration.fromEnvironment()
            configuration = settings
            let policy = PushPolicy(configuration: settings)
            let updates = try RefUpdate.parse(input)
            let branch = updates.first { $0.name == settings.branchReference && $0.new != nil }
            landing = updates.first { $0.name == policy.landingReference && $0.new != nil }
            guard branch != nil || landing != nil else { return }
            var logger = Logger(label: "folio")
            logger.logLevel = Logger.Level.fromEnvironment(default: .warning)
            // Opening the store ingests what the catalog lacks, as a start does. The mirror is published
            // for what is due now only: a push waits for its own files, not for an outage's backlog.
            let store = try DocumentStore.open(settings, logger: logger, drainMirror: false)
            if let update = landing {
                landing = nil  // PushLanding removes the ref itself.
                for line in await PushLanding.run(update, store: store, policy: policy) { say(line) }
            }
            let (_, failed) = store.flushMirror()
            store.close(drainMirror: false)
            if let tip = branch?.new {
                say("recorded \(tip.short) in the catalog; " + (failed == 0 ? "the mirror is up to date" : "\(failed) file(s) wait for the mirror"))
            }
        } catch {
            say("the push is in git, but recording it failed (\(error)); the next save, read or start of folio catches up")
            if let landing, let configuration {
                say("nothing was landed; push to \(landing.name) again once folio can open its store")
                for line in PushLanding.removeReference(landing, repositoryPath: configuration.repositoryPath) { say(line) }
            }
        }
    }

    private func say(_ line: String) {
        FileHandle.standardError.write(Data("folio: \(line)\n".utf8))
    }
}

/// What the installed hooks run with: this executable and the settings of the installing command.
enum HookSettings {
    /// The running `folio`, by absolute path (hooks run with git's PATH, not the installer's).
    static func executable() throws -> String {
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return path
    }

    /// The store's settings from the environment (those that say where the data is and how it is
    /// written and mirrored, and FOLIO_PUSH_REFS), with the locations made absolute, sorted so that
    /// installing twice writes the same file. Server-only settings stay out, so `folio serve` and
    /// `folio hooks install` run with the same data settings write the same hooks; so do secrets the
    /// hooks never use (API tokens, the old app's database), the log level (the hooks' lines go to the
    /// pusher) and a failpoint set for the server.
    static func settings(
        for configuration: StoreConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [(name: String, value: String)] {
        let store: Set<String> = [
            "FILE_STORAGE_TYPE", "MEDIA_ROOT", "FOLIO_REPO_PATH", "FOLIO_DATABASE_URL", "FOLIO_DATABASE_POOL_SIZE", "FOLIO_MAX_CONTENT_BYTES",
            "FOLIO_MAX_BATCH", "FOLIO_MAX_BATCH_BYTES", "FOLIO_PACKED_WRITES", "FOLIO_MAX_PACKS", "FOLIO_CACHE_BYTES",
            "FOLIO_COMMITTER_NAME", "FOLIO_COMMITTER_EMAIL", "FOLIO_PRESIGN_SECRET_FILE", "FOLIO_PRESIGN_EXPIRES", "FOLIO_PRESIGN_DIRECT_S3",
            "FOLIO_S3_GZIP_ABOVE", "FOLIO_S3_TIMEOUT", "FOLIO_PUSH_REFS",
        ]
        var values: [String: String] = [:]
        for (name, value) in environment where store.contains(name) || name.hasPrefix("AWS_") {
            values[name] = value
        }
        values["FOLIO_REPO_PATH"] = absolute(configuration.repositoryPath)
        values["MEDIA_ROOT"] = absolute(configuration.mediaRoot)
        values["FOLIO_PRESIGN_SECRET_FILE"] = absolute(configuration.presignSecretPath)
        values["FOLIO_DATABASE_URL"] = absoluteDatabaseURL(configuration.databaseURL)
        return values.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `sqlite:` URLs with their path made absolute; others as they are.
    static func absoluteDatabaseURL(_ url: String) -> String {
        StoreConfiguration.sqlitePath(of: url).map { "sqlite:" + absolute($0) } ?? url
    }
}

struct TextconvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "textconv",
        abstract: "Print an envelope as lines (type, metadata, then content): git's diff driver for a clone (see README).")
    @Argument(help: "The file git hands the driver.") var file: String

    func run() async throws {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            FileHandle.standardOutput.write(Textconv.render(data))
        } catch {
            FileHandle.standardError.write(Data("folio: cannot read \(file): \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
    }
}
