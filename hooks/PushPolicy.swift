import FolioStore
import Foundation

/// What a push may do, from the store's settings.
public struct PushPolicy: Sendable {
    /// The branch Folio keeps documents on (`refs/heads/main`).
    public var branchReference: String
    /// The largest `content` a file may have, in UTF-8 bytes (FOLIO_MAX_CONTENT_BYTES, as API saves).
    public var maxContentBytes: Int
    /// Refs other than the branch that pushes may create, move or delete, as shell patterns
    /// (`FOLIO_PUSH_REFS`, space-separated, e.g. `refs/heads/drafts/*`). Their commits are not checked:
    /// they reach neither the catalog nor the mirror, and are checked when they come to the branch.
    public var otherRefs: [String]

    public init(branchReference: String, maxContentBytes: Int, otherRefs: [String] = []) {
        self.branchReference = branchReference
        self.maxContentBytes = maxContentBytes
        self.otherRefs = otherRefs
    }

    /// The policy a store with `configuration` enforces, plus `FOLIO_PUSH_REFS` from `environment`.
    public init(configuration: StoreConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(
            branchReference: configuration.branchReference, maxContentBytes: configuration.maxContentBytes,
            otherRefs: (environment["FOLIO_PUSH_REFS"] ?? "").split(separator: " ").map(String.init))
    }

    /// Where a push asks for its commits to be landed on the branch as saves (`refs/for/main`): the way
    /// in when API saves keep moving the branch faster than a fetch-rebase-push round trip.
    public var landingReference: String {
        let prefix = "refs/heads/"
        return "refs/for/" + (branchReference.hasPrefix(prefix) ? String(branchReference.dropFirst(prefix.count)) : branchReference)
    }

    /// Whether pushes may update `ref` without Folio's checks.
    func allowsOther(_ ref: String) -> Bool {
        otherRefs.contains { fnmatch($0, ref, 0) == 0 }
    }
}
