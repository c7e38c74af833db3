internal import FolioGit
import FolioSupport
import Foundation
import Logging

/// When the branch no longer holds the commit the catalog last ingested — an administrator moved `main`
/// around the hooks, or the repository came back from a backup — the catalog's revisions after the
/// common ancestor describe a history that is gone. Keeping them would make history and loads lie, so
/// the catalog and the mirror are rebuilt from git, loudly.
extension Ingest {
    /// The catalog's tip is not on the branch.
    struct HistoryRewritten: Error, CustomStringConvertible {
        var catalogTip: ObjectID
        var branchTip: ObjectID

        var description: String {
            "the branch was moved to \(branchTip.short), which does not contain \(catalogTip.short), the last commit the catalog recorded"
        }
    }

    /// Throws `HistoryRewritten` when the catalog's tip is not an ancestor of the branch.
    ///
    /// The catalog is read before the branch: the branch only moves forward, and the catalog records a
    /// commit only after the branch reached it, so a branch read afterwards contains the catalog's tip
    /// unless history was rewritten. (Read the other way round, another writer could move both in
    /// between and make a stale branch look like a rewind.)
    static func checkLineage(repository: Repository, catalog: any Catalog, branch: String) throws {
        guard let tip = try catalog.ingestedTip() else { return }
        try repository.refreshObjects()
        guard let branchTip = try repository.resolveReference(branch) else {
            // Far more likely a wrong FOLIO_REPO_PATH than a deployment that lost every commit: emptying
            // the catalog and the mirror to match would be the wrong answer to a typo.
            throw StoreError(.unavailable, "the repository at \(repository.path) has no \(branch), but the catalog has recorded commits up to \(tip.short); check FOLIO_REPO_PATH and FOLIO_DATABASE_URL (or run folio reindex to empty the catalog)")
        }
        if tip == branchTip { return }
        // A branch whose own commit is missing is a damaged repository, not a rewritten one: rebuilding
        // from it would empty the catalog, while reads can still fall back to the mirror.
        guard try repository.objectKind(branchTip) != nil else { return }
        guard try repository.objectKind(tip) != nil, try repository.isAncestor(tip, of: branchTip) else {
            throw HistoryRewritten(catalogTip: tip, branchTip: branchTip)
        }
    }

    /// Forgets the catalog's git-derived rows, ingests the branch again and queues the mirror for every
    /// file that was live before or is live now (files gone from the branch are removed from the mirror).
    ///
    /// A crash between the reset and the end leaves a catalog that the next open finishes rebuilding;
    /// the removals for files no longer on the branch are then left to `folio mirror sync`.
    static func rebuild(
        after rewrite: HistoryRewritten, repository: Repository, catalog: any Catalog, branch: String, logger: Logger,
        progress: ((Int, Int) -> Void)? = nil
    ) throws {
        logger.critical("history was rewritten outside Folio: rebuilding the catalog and the mirror from git", metadata: [
            "reason": "\(rewrite)", "catalog_tip": "\(rewrite.catalogTip.hex)", "branch_tip": "\(rewrite.branchTip.hex)",
            "note": "revisions that are no longer on the branch leave the catalog; git still has them until it collects garbage",
        ])
        let tip = try repository.resolveReference(branch)
        // The catalog is emptied only once the history it will be rebuilt from is known to be readable;
        // the chain read for that is the one the catch-up below records.
        let chain: [ObjectID]
        do {
            chain = try tip.map { try repository.firstParentChain(from: $0, stoppingAt: nil) } ?? []
        } catch {
            throw StoreError(
                .unavailable, "\(rewrite), but the branch's history cannot be read to rebuild the catalog (\(error)); check the repository with git fsck",
                cause: error)
        }
        // Files live before, and files whose mirror write (a removal, say) was still pending: the reset
        // empties the outbox, so they are queued again below.
        let before = try committedFileKeys(catalog).union(catalog.outboxAll().map(\.fileKey))
        try catalog.resetDerivedState()
        if let tip {
            try catchUp(repository: repository, catalog: catalog, to: tip, expected: (base: nil, chain: chain), progress: progress)
        }
        let now = Date()
        let queued = before.union(try committedFileKeys(catalog))
        for path in queued.sorted() {
            let key = try FileKey(parsing: path)
            // The worker publishes whatever the catalog now says of the file, or removes it.
            try catalog.enqueueMirror(path, commit: try catalog.document(key)?.commit ?? rewrite.branchTip, now: now)
        }
        logger.warning("the catalog and the mirror queue were rebuilt from git", metadata: ["files_queued": "\(queued.count)"])
    }

    /// Every live file the catalog knows from git (legacy rows are not the mirror's to remove).
    private static func committedFileKeys(_ catalog: any Catalog) throws -> Set<String> {
        var keys: Set<String> = []
        for project in try catalog.projects() {
            for document in try catalog.documents(projectID: project.id, type: nil) where document.commit != nil {
                keys.insert(document.key.path)
            }
        }
        return keys
    }
}

extension Ingest {
    /// `catchUp`, or a rebuild when the catalog's tip turns out not to be on the branch. With
    /// `checkingRewind` the branch is first checked for a move backwards, which `catchUp` alone takes
    /// for a catalog that is ahead of a stale target (an open checks; a save's catch-up need not).
    static func follow(
        repository: Repository, catalog: any Catalog, branch: String, to target: ObjectID, logger: Logger,
        known: [ObjectID: CommitRecord] = [:], expected: (base: ObjectID?, chain: [ObjectID])? = nil, checkingRewind: Bool = false,
        parallelThreshold: Int = ChunkReader.parallelThreshold, progress: ((Int, Int) -> Void)? = nil
    ) throws {
        do {
            if checkingRewind { try checkLineage(repository: repository, catalog: catalog, branch: branch) }
            try catchUp(
                repository: repository, catalog: catalog, to: target, known: known, expected: expected, parallelThreshold: parallelThreshold,
                progress: progress)
        } catch let rewrite as HistoryRewritten {
            // Looked at once more on a refreshed handle before anything is reset: another process's
            // consolidation can remove a pack between a refresh and a read, which looks like a missing
            // commit for a moment.
            do {
                try checkLineage(repository: repository, catalog: catalog, branch: branch)
            } catch let confirmed as HistoryRewritten {
                try rebuild(after: confirmed, repository: repository, catalog: catalog, branch: branch, logger: logger, progress: progress)
                return
            }
            logger.warning("the catalog's tip looked off the branch but is on it; catching up", metadata: ["reason": "\(rewrite)"])
            try catchUp(repository: repository, catalog: catalog, to: try repository.resolveReference(branch) ?? target, progress: progress)
        }
    }
}
