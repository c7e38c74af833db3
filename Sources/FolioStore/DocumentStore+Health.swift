internal import FolioGit
import Foundation

/// The state of one dependency, for readiness checks.
public struct ComponentHealth: Sendable, Equatable, Codable {
    /// `git`, `catalog` or `mirror`.
    public var name: String
    /// True when it answered.
    public var ok: Bool
    /// What went wrong, when it did not.
    public var error: String?
}

extension DocumentStore {
    /// Checks that git, the catalog and the mirror answer; used by `/readyz`.
    public func readiness() -> [ComponentHealth] {
        func probe(_ name: String, _ body: () throws -> Void) -> ComponentHealth {
            do {
                try body()
                return ComponentHealth(name: name, ok: true, error: nil)
            } catch let error as StoreError {
                return ComponentHealth(name: name, ok: false, error: error.message)
            } catch {
                return ComponentHealth(name: name, ok: false, error: "\(error)")
            }
        }
        return [
            probe("git") {
                _ = try readers.withRepository { try $0.resolveReference(configuration.branchReference) }
                // A save writes a pack and moves the branch: both folders must take new files.
                for folder in ["objects/pack", "refs/heads"] {
                    let path = configuration.repositoryPath + "/" + folder
                    guard access(path, W_OK) == 0 else { throw StoreError(.unavailable, "\(path) is not writable") }
                }
                if let age = RefGuard.staleLockAge(repositoryPath: configuration.repositoryPath, reference: configuration.branchReference) {
                    throw StoreError(.unavailable, "a ref lock has been left for \(Int(age)) s; the next save removes it")
                }
            },
            probe("catalog") {
                _ = try catalog.ingestedTip()
                try catalog.checkWritable()
            },
            probe("mirror") { try mirror?.check() },
        ]
    }
}
