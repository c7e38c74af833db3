internal import FolioGit
import FolioSupport
import Foundation

extension DocumentStore {
    /// A project's files at `commit` (default: the branch tip) as an archive: every file under
    /// `PROJECT/` in that commit's tree, at its path in git, holding its blob's exact bytes — what
    /// `git archive COMMIT PROJECT/` holds.
    ///
    /// Everything that can be refused is refused here, before the caller starts a reply: an invalid
    /// project id, a commit that is not one, a project with no files at that commit (not found), a zip
    /// too large for the format. Reading the files happens as the archive is iterated.
    public func export(projectID: String, at commit: ObjectID? = nil, format: ArchiveFormat = .tarGzip) throws -> ProjectArchive {
        try FileKey.validateProjectID(projectID)
        let id: ObjectID
        if let commit {
            id = try requireCommit(commit, field: "at")
        } else {
            // Read from git, not the catalog: the branch is the truth, and a catalog catching up changes nothing here.
            guard let tip = try readers.withRepository({ try $0.resolveReference(configuration.branchReference) }) else {
                throw StoreError(.notFound, "project \(projectID) has no files: the repository has no commits yet")
            }
            id = tip
        }
        let (time, listed, bytes) = try readers.withRepository { repository -> (Date, [TreeFile], Int64) in
            let files = try repository.listFiles(inCommit: id, under: projectID)
            // Sizes come from the object headers, without reading the blobs.
            let bytes = try format == .zip ? files.reduce(Int64(0)) { $0 + Int64(try repository.blobSize($1.blob)) } : 0
            return (try repository.commit(id).committer.time, files, bytes)
        }
        guard !listed.isEmpty else {
            throw StoreError(.notFound, "project \(projectID) has no files at commit \(id.short)")
        }
        if format == .zip {
            let pathBytes = listed.reduce(Int64(0)) { $0 + Int64($1.path.utf8.count) }
            guard ZipWriter.fits(entries: listed.count, bytes: bytes, pathBytes: pathBytes) else {
                throw StoreError.invalid(
                    "format",
                    "project \(projectID) at \(id.short) has \(listed.count) files of \(bytes) bytes, more than a zip archive holds without zip64 (65,535 files, 4 GiB); ask for format=tar.gz")
            }
        }
        return ProjectArchive(
            projectID: projectID, commit: id, format: format, files: listed.map { ProjectArchive.File(path: $0.path, blob: $0.blob) },
            modified: time, readers: readers)
    }
}
