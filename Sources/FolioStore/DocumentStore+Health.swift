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
            probe("git") { _ = try readers.withRepository { try $0.resolveReference(configuration.branchReference) } },
            probe("catalog") { _ = try catalog.ingestedTip() },
            probe("mirror") { try mirror?.check() },
        ]
    }
}
