internal import FolioGit
import FolioSupport
import Foundation

/// Landing pushed commits on the branch (`git push origin HEAD:refs/for/main`): each commit becomes a
/// save of the files it changed, built on the branch as it is now, so a push never has to win a race
/// against API saves. A file saved since the pushed commit's parent is merged three-way as an API save
/// with a base commit is; a file still as the parent had it keeps the pushed bytes.
extension DocumentStore {
    /// What became of one pushed commit.
    public struct Landing: Sendable {
        /// The commit as pushed.
        public var pushed: ObjectID
        /// Its first line, to recognise it by.
        public var subject: String
        /// The commit on the branch; nil when every file was already as pushed.
        public var landed: ObjectID?
        /// Why it did not land (a conflict, or an earlier pushed commit that did not land).
        public var refusal: StoreError?
    }

    /// Lands the commits reachable from `tip` and not on the branch, oldest first, one commit each,
    /// stopping at the first that cannot land. Authors, author dates and messages are the pushed ones.
    public func land(_ tip: ObjectID) async throws -> [Landing] {
        let (requests, landings) = try readers.withRepository { repository in
            try repository.refreshObjects()
            let branchTip = try repository.resolveReference(configuration.branchReference)
            var requests: [WriteRequest] = []
            var landings: [Landing] = []
            for commit in try repository.commits(from: tip, excluding: branchTip.map { [$0] } ?? []) {
                let info = try repository.commit(commit)
                let parent = info.parents.first
                var changes: [WriteRequest.Change] = []
                for change in try repository.changes(in: commit) {
                    // Paths the push hook let through that are not documents (.gitattributes) stay out.
                    guard let key = try? FileKey(parsing: change.path) else { continue }
                    if let blob = change.newBlob {
                        changes.append(.init(key: key, kind: .putBlob(blob: blob, baseCommit: parent)))
                    } else if change.oldBlob != nil {
                        changes.append(.init(key: key, kind: .deleteIfUnchanged(baseCommit: parent)))
                    }
                }
                var request = WriteRequest(
                    changes: changes, author: Signature(name: info.author.name, email: info.author.email), userMessage: info.message)
                request.authorTime = info.author.time
                requests.append(request)
                landings.append(Landing(pushed: commit, subject: info.subject, landed: nil, refusal: nil))
            }
            return (requests, landings)
        }
        var results = landings
        for index in requests.indices {
            guard !requests[index].changes.isEmpty else { continue }
            do {
                let saved = try await queue.submit(requests[index])
                results[index].landed = saved.first(where: \.changed)?.commit
            } catch let error as StoreError {
                results[index].refusal = error
                // Later commits build on this one: none of them is tried.
                for later in results.indices.dropFirst(index + 1) {
                    results[later].refusal = StoreError(.conflict, "\(results[index].pushed.short), before it, did not land")
                }
                return results
            }
        }
        return results
    }
}
