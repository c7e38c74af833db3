internal import FolioGit
import Foundation
import Logging
import Synchronization

extension DocumentStore {
    /// Before a read that answers from the catalog: when commits reached git but not the catalog (a
    /// catalog error after the branch moved), they are recorded now, so a read never misses a save that
    /// was acknowledged. Costs one atomic load when nothing is behind.
    func catchUpIfBehind() {
        let behind = queue.catalogBehind.load(ordering: .acquiring)
        guard behind > 0 else { return }
        do {
            try readers.withRepository { repository in
                guard let tip = try repository.resolveReference(configuration.branchReference) else { return }
                try Ingest.follow(
                    repository: repository, catalog: catalog, branch: configuration.branchReference, to: tip, logger: logger, checkingRewind: true)
            }
            // Only the failures seen before this catch-up are settled; a newer one keeps the count up.
            _ = queue.catalogBehind.compareExchange(expected: behind, desired: 0, ordering: .acquiringAndReleasing)
            logger.info("the catalog caught up with git after an earlier catalog error")
        } catch {
            logger.warning("the catalog is still behind git", metadata: ["error": "\(error)"])
        }
    }
}
