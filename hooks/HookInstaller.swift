internal import FolioGit
import FolioStore
import FolioSupport
import Foundation

/// Puts Folio's hooks into a deployment repository (`folio hooks install`), from the scripts in this
/// module's `scripts/` folder with the settings and the `folio` executable filled in.
public enum HookInstaller {
    /// The hooks Folio writes.
    public static let names = ["pre-receive", "post-receive"]
    /// The line that marks a hook as Folio's, so that installing again may replace it.
    static let marker = "# folio-hook:"

    /// What an install did to each hook.
    public enum Outcome: String, Sendable {
        case written, unchanged
    }

    /// What state a repository's hooks are in.
    public enum State: Sendable, Equatable {
        /// Folio's hooks, as `install` would write them now.
        case current
        /// Missing, or Folio's but written with other settings or an older script.
        case outdated
        /// A hook Folio did not write is in the way.
        case foreign(String)
    }

    /// The settings every git process that runs hooks in the repository should have: git itself then
    /// refuses deletions and force pushes even if a hook goes missing, checks pushed objects as
    /// `git fsck` would, and waits a little for a ref lock a Folio writer holds instead of failing.
    /// git's automatic gc stays off: after a push, receive-pack would start one in the background,
    /// repacking and deleting packs beside Folio's own consolidation (`FOLIO_MAX_PACKS`, `folio gc`).
    static let repositoryConfig = [
        ("receive.denyDeletes", "true"),
        ("receive.denyNonFastForwards", "true"),
        ("receive.fsckObjects", "true"),
        ("core.filesRefLockTimeout", "5000"),
        ("receive.autogc", "false"),
        ("gc.auto", "0"),
    ]

    /// `repositoryConfig` plus where git looks for hooks: the repository's own folder, whatever a
    /// user's or the system's `core.hooksPath` says (else git would run those hooks, not Folio's).
    static func config(repositoryPath: String) -> [(String, String)] {
        repositoryConfig + [("core.hooksPath", URL(fileURLWithPath: repositoryPath).standardizedFileURL.path + "/hooks")]
    }

    /// Writes the hooks into the repository at `repositoryPath` (idempotent). `settings` are exported
    /// before `folio` runs; a hook Folio did not write is replaced only with `force`.
    public static func install(
        repositoryPath: String, folio: String, settings: [(name: String, value: String)], force: Bool
    ) throws -> [(name: String, outcome: Outcome)] {
        let folder = repositoryPath + "/hooks"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Every hook is checked before any is written: a refusal leaves the repository as it was.
        if !force {
            for name in names {
                if case .foreign(let path) = try state(of: name, folder: folder, expected: nil) {
                    throw StoreError.invalid(
                        "hooks", "\(path) exists and was not written by Folio; move it aside or install with --force to replace it")
                }
            }
        }
        var outcomes: [(String, Outcome)] = []
        for name in names {
            let text = try script(name, folio: folio, settings: settings)
            let path = folder + "/" + name
            if (try? String(contentsOfFile: path, encoding: .utf8)) == text {
                outcomes.append((name, .unchanged))
                continue
            }
            // Written aside and renamed over, so git never runs half a hook; made owner-only from the
            // start, since the settings in it may include secrets.
            let temporary = path + ".folio-tmp"
            unlink(temporary)
            do {
                try DurableFile.write(Data(text.utf8), to: temporary, mode: 0o700, exclusive: true)
                try DurableFile.rename(temporary, to: path)
                try DurableFile.syncFolder(folder)
            } catch {
                unlink(temporary)
                throw StoreError(.unavailable, "cannot install \(path): \(error)")
            }
            outcomes.append((name, .written))
        }
        let repository = try Repository.open(at: repositoryPath)
        for (name, value) in config(repositoryPath: repositoryPath) where try repository.config(name) != value {
            try repository.setConfig(name, value)
        }
        return outcomes
    }

    /// Why the repository's hooks do not guard pushes (one missing, or not Folio's), nil when they do.
    /// Settings that differ from the caller's do not count: the checks are Folio's either way.
    public static func unguarded(repositoryPath: String) -> String? {
        for name in names {
            let path = repositoryPath + "/hooks/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "\(path) is missing" }
            guard text.contains(marker) else { return "\(path) is not Folio's hook" }
            guard access(path, X_OK) == 0 else { return "\(path) is not executable" }
        }
        return nil
    }

    /// Whether the repository's hooks are Folio's, as `install` with these arguments would write them.
    public static func state(repositoryPath: String, folio: String, settings: [(name: String, value: String)]) throws -> State {
        var result = State.current
        for name in names {
            switch try state(of: name, folder: repositoryPath + "/hooks", expected: script(name, folio: folio, settings: settings)) {
            case .foreign(let path): return .foreign(path)
            case .outdated: result = .outdated
            case .current: break
            }
        }
        return result
    }

    private static func state(of name: String, folder: String, expected: String?) throws -> State {
        let path = folder + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return .outdated }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(marker) else { return .foreign(path) }
        return text == expected ? .current : .outdated
    }

    /// The hook's text: the module's script with the settings and the executable filled in.
    static func script(_ name: String, folio: String, settings: [(name: String, value: String)]) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "scripts") else {
            throw StoreError(.internal, "the \(name) hook script is missing from this build of folio")
        }
        let template = try String(contentsOf: url, encoding: .utf8)
        let lines = settings.map { "export \($0.name)=\(shellQuoted($0.value))" }.joined(separator: "\n")
        return template.replacingOccurrences(of: "@SETTINGS@", with: lines).replacingOccurrences(of: "@FOLIO@", with: shellQuoted(folio))
    }

    /// `text` as one shell word: single quotes, with each single quote written as '\''.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
