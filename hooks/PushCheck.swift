internal import FolioGit
import FolioStore
import FolioSupport
import Foundation

/// The checks `pre-receive` runs: a push may put on the branch only what an API save could have put
/// there. Every commit the push adds is checked against its first parent, so a bad file cannot hide in
/// an intermediate commit that the history would later show.
public enum PushCheck {
    /// The one path outside the document layout a push may write: attributes for readable diffs.
    static let attributesPath = ".gitattributes"
    static let layoutFix = "move or remove it"

    /// Every problem with `updates` to the repository at `repositoryPath`, empty when the push may go
    /// ahead. `alternateObjectFolders` names where git keeps the pushed objects until the hook accepts them.
    public static func problems(
        in updates: [RefUpdate], repositoryPath: String, alternateObjectFolders: [String], policy: PushPolicy
    ) throws -> [PushProblem] {
        let repository = try Repository.open(at: repositoryPath, alternateObjectFolders: alternateObjectFolders)
        return try problems(in: updates, repository: repository, policy: policy)
    }

    static func problems(in updates: [RefUpdate], repository: Repository, policy: PushPolicy) throws -> [PushProblem] {
        var problems: [PushProblem] = []
        for update in updates {
            if update.name == policy.branchReference {
                problems += try branchProblems(update, repository: repository, policy: policy)
            } else if update.name == policy.landingReference {
                problems += try landingProblems(update, repository: repository, policy: policy)
            } else if !policy.allowsOther(update.name) {
                problems.append(PushProblem(
                    ref: update.name, problem: "pushes to \(update.name) are refused",
                    fix: "push to \(policy.branchReference) (an administrator can allow other refs with FOLIO_PUSH_REFS)"))
            }
        }
        return problems
    }

    private static func branchProblems(_ update: RefUpdate, repository: Repository, policy: PushPolicy) throws -> [PushProblem] {
        let ref = update.name
        guard let new = update.new else {
            return [PushProblem(
                ref: ref, problem: "deleting \(ref) is refused", fix: "documents are removed by pushing a commit that deletes their files")]
        }
        if let old = update.old, try !repository.isAncestor(old, of: new) {
            return [PushProblem(
                ref: ref, problem: "\(old.short)..\(new.short) is not a fast-forward (force pushes are refused)",
                fix: "fetch, rebase or merge your commits onto the current \(ref), and push again")]
        }
        let commits = try repository.commits(from: new, excluding: update.old.map { [$0] } ?? [])
        // Folio's history is the branch's first-parent chain (ingest and reindex walk it). A merge that
        // puts the branch's old tip on a second parent (a plain `git pull` before pushing) would make
        // the API's saves since the merge base vanish from that chain, and re-record them as the pusher's.
        if let old = update.old, try !firstParentChain(from: new, reaches: old, within: commits.count + 1, in: repository) {
            return [PushProblem(
                ref: ref, problem: "\(new.short) has \(old.short), the current \(ref), on a merge's second parent, not on its first-parent line",
                fix: "rebase instead of merging (git pull --rebase), or push to \(policy.landingReference) to have Folio land it")]
        }
        var problems: [PushProblem] = []
        for commit in commits {
            problems += try commitProblems(commit, ref: ref, repository: repository, policy: policy)
        }
        return problems
    }

    /// Whether following first parents from `tip` reaches `ancestor` within `steps` commits.
    private static func firstParentChain(from tip: ObjectID, reaches ancestor: ObjectID, within steps: Int, in repository: Repository) throws -> Bool {
        var commit: ObjectID? = tip
        for _ in 0..<steps {
            guard let current = commit else { return false }
            if current == ancestor { return true }
            commit = try repository.firstParent(of: current)
        }
        return commit == ancestor
    }

    /// A push to the landing ref: its commits are checked as a push to the branch would be (they will
    /// be landed there); any base is fine, since landing rebases them.
    private static func landingProblems(_ update: RefUpdate, repository: Repository, policy: PushPolicy) throws -> [PushProblem] {
        guard let new = update.new else {
            return [PushProblem(
                ref: update.name, problem: "\(update.name) is not a branch to delete", fix: "push commits to it to land them on \(policy.branchReference)")]
        }
        let branchTip = try repository.resolveReference(policy.branchReference)
        var problems: [PushProblem] = []
        for commit in try repository.commits(from: new, excluding: branchTip.map { [$0] } ?? []) {
            let info = try repository.commit(commit)
            // Landing replays each commit against its first parent; a merge's diff would replay the
            // other side's changes again, as the pusher's.
            if info.parents.count > 1 {
                problems.append(PushProblem(
                    ref: update.name, commit: commit, subject: info.subject,
                    problem: "it is a merge commit, which cannot be landed", fix: "rebase instead of merging (git pull --rebase) and push again"))
                continue
            }
            problems += try commitProblems(commit, ref: update.name, repository: repository, policy: policy)
        }
        return problems
    }

    private static func commitProblems(_ id: ObjectID, ref: String, repository: Repository, policy: PushPolicy) throws -> [PushProblem] {
        let info = try repository.commit(id)
        let subject = info.subject
        func problem(_ path: String?, _ text: String, _ fix: String) -> PushProblem {
            PushProblem(ref: ref, commit: id, subject: subject, path: path, problem: text, fix: fix)
        }
        var problems: [PushProblem] = []
        // The author becomes the files' updated_by, as the saving user of an API save.
        if let issue = Signature.problem(with: info.author.name) {
            problems.append(problem(nil, "its author name \(issue)", "set user.name and amend the commit (git commit --amend --reset-author)"))
        }
        let parentTree = try info.parents.first.map { try repository.treeID(ofCommit: $0) }
        for change in try repository.changes(from: parentTree, to: info.tree) {
            guard let mode = change.newMode else { continue }  // A removal: always allowed.
            if let issue = fileProblem(change, mode: mode, repository: repository, policy: policy) {
                problems.append(problem(change.path, issue.problem, issue.fix))
            }
        }
        return problems
    }

    /// What is wrong with one added or changed path, nil when nothing is.
    private static func fileProblem(
        _ change: PathChange, mode: UInt32, repository: Repository, policy: PushPolicy
    ) -> (problem: String, fix: String)? {
        switch mode {
        case 0o100644: break
        case 0o100755: return ("it is executable", "run git update-index --chmod=-x '\(change.path)' and commit")
        case 0o120000: return ("it is a symbolic link", "replace it by a file, or remove it")
        case 0o160000: return ("it is a submodule", "remove it (git rm --cached '\(change.path)')")
        default: return ("its mode \(String(mode, radix: 8)) is not a regular file's", "replace it by a regular file")
        }
        guard let blob = change.newBlob else { return nil }
        if change.path == attributesPath {
            // Attributes are for clones (diff drivers); small text is all they need. The size comes from the
            // object header, so a large blob is refused without being read into memory.
            guard let size = try? repository.blobSize(blob), size <= 64 * 1024, let data = try? repository.readBlob(blob),
                  String(validating: data, as: UTF8.self) != nil else {
                return ("it is not UTF-8 text of at most 64 KiB", "keep .gitattributes to a few lines of text")
            }
            return nil
        }
        let key: FileKey
        do {
            key = try FileKey(parsing: change.path)
        } catch let error as StoreError {
            return (error.message, layoutFix)
        } catch {
            return ("it is not a Folio file path (PROJECT/prd/NAME.json or PROJECT/implementation/NAME.json)", layoutFix)
        }
        guard key.path == change.path else {
            return ("it is not a Folio file path (PROJECT/prd/NAME.json or PROJECT/implementation/NAME.json)", layoutFix)
        }
        do {
            // JSON escapes at most six bytes per character (\u00XX): a blob larger than that for the
            // limit cannot hold a content within it, and is not read into memory.
            let size = try repository.blobSize(blob)
            let ceiling = policy.maxContentBytes.multipliedReportingOverflow(by: 6).partialValue + 1 << 20
            guard size <= ceiling else {
                return ("it is \(size) bytes, far over the \(policy.maxContentBytes)-byte content limit", "split the document or shorten it")
            }
            return envelopeProblem(try repository.readBlob(blob), key: key, policy: policy)
        } catch {
            return ("it could not be read (\(error))", "push again; if it persists, check the repository with git fsck")
        }
    }

    /// The envelope rules: UTF-8 JSON, an object of exactly `content` (a string within the limit, no NUL),
    /// `metadata` (an object) and `type` (the file's folder).
    static func envelopeProblem(_ data: Data, key: FileKey, policy: PushPolicy) -> (problem: String, fix: String)? {
        let shape = "save it as {\"content\": \"...\", \"metadata\": {...}, \"type\": \"\(key.fileType.rawValue)\"}"
        guard String(validating: data, as: UTF8.self) != nil else {
            return ("it is not valid UTF-8", "save it as UTF-8")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            return ("it is not valid JSON (\(error))", shape)
        }
        guard let members = value.objectValue else { return ("it is \(value.kindDescription), not a JSON object", shape) }
        let unknown = members.keys.filter { !["content", "metadata", "type"].contains($0) }.sorted()
        if !unknown.isEmpty {
            return ("it has fields other than content, metadata and type (\(unknown.joined(separator: ", ")))", "move them into metadata")
        }
        guard case .string(let content)? = members["content"] else {
            return ("its \"content\" is \(members["content"]?.kindDescription ?? "missing"), not a string", shape)
        }
        guard case .object? = members["metadata"] else {
            return ("its \"metadata\" is \(members["metadata"]?.kindDescription ?? "missing"), not an object", shape)
        }
        guard case .string(let type)? = members["type"], type == key.fileType.rawValue else {
            let found = members["type"].map { value in
                if case .string(let text) = value { return "\"\(text.prefix(40))\"" }
                return value.kindDescription
            } ?? "missing"
            return ("its \"type\" is \(found) but the file is in \(key.fileType.rawValue)/", "set \"type\" to \"\(key.fileType.rawValue)\" or move the file")
        }
        switch Envelope.contentProblem(content, limit: policy.maxContentBytes) {
        case .tooLarge(let size)?:
            return ("its content is \(size) bytes; the limit is \(policy.maxContentBytes) (FOLIO_MAX_CONTENT_BYTES)", "split the document or shorten it")
        case .nul?:
            return ("its content contains a NUL character", "documents are text; remove it")
        case nil:
            return nil
        }
    }
}
