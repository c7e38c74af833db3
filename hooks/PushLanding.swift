internal import FolioGit
import FolioStore
import FolioSupport
import Foundation

/// The post-receive half of `git push origin HEAD:refs/for/main`: the pushed commits are landed on the
/// branch as saves (`DocumentStore.land`) and the landing ref is removed again, so the next push to it
/// starts afresh. What happened is told to the pusher one line at a time.
public enum PushLanding {
    /// Lands `update`'s commits and returns the lines for the pusher.
    public static func run(_ update: RefUpdate, store: DocumentStore, policy: PushPolicy) async -> [String] {
        guard let tip = update.new else { return [] }
        var lines: [String] = []
        do {
            let landings = try await store.land(tip)
            if landings.isEmpty { lines.append("nothing to land: every pushed commit is on \(policy.branchReference) already") }
            for landing in landings {
                let name = "\(landing.pushed.short) (\"\(landing.subject.prefix(60))\")"
                if let refusal = landing.refusal {
                    lines.append("\(name) did not land: \(refusal.message)")
                } else if let landed = landing.landed {
                    lines.append("landed \(name) as \(landed.short)")
                } else {
                    lines.append("\(name): every file was already as pushed; nothing to land")
                }
            }
            let branch = policy.branchReference.replacingOccurrences(of: "refs/heads/", with: "")
            if landings.contains(where: { $0.refusal != nil }) {
                lines.append("fetch, rebase onto origin/\(branch) and push again")
            } else {
                // The landed commits are new commits (built on the branch as it was, merged where
                // needed): the pushed ones are replaced, not rebased; moving keeps uncommitted work.
                lines.append("to continue from \(branch): git fetch origin && git reset --keep origin/\(branch)")
            }
        } catch {
            lines.append("landing failed (\(error)); nothing more was landed; push to \(policy.landingReference) again")
        }
        lines += removeReference(update, repositoryPath: store.configuration.repositoryPath)
        return lines
    }

    /// Removes the landing ref if it still holds what this push put there, whatever became of the
    /// landing: a ref left behind would make the next push to it look like a force push. Returns the
    /// lines for the pusher (none when it went).
    public static func removeReference(_ update: RefUpdate, repositoryPath: String) -> [String] {
        guard let tip = update.new else { return [] }
        do {
            _ = try Repository.open(at: repositoryPath).deleteReference(update.name, expected: tip)
            return []
        } catch {
            return ["could not remove \(update.name) (\(error)); the next push to it may be refused as not a fast-forward"]
        }
    }
}
