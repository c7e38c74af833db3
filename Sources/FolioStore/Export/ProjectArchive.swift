internal import FolioGit
import FolioSupport
import Foundation

/// A project's files at one commit as an archive of their envelopes (the exact blob bytes, at their
/// paths in git), produced as it is read: each step reads one file from git and yields its entry's
/// bytes, so an export never holds more than one file and the compressor's buffers in memory.
///
/// Made by `DocumentStore.export`, which has already checked that the commit exists and the project has
/// files in it; iterate it once per response.
public struct ProjectArchive: AsyncSequence, Sendable {
    public typealias Element = Data

    /// One file to write: its path in git and its blob.
    struct File: Sendable {
        var path: String
        var blob: ObjectID
    }

    /// The project.
    public let projectID: String
    /// The commit the files are read from.
    public let commit: ObjectID
    /// The archive's format.
    public let format: ArchiveFormat
    /// The files, sorted by path.
    let files: [File]
    /// The commit's time, which every entry carries (as `git archive` dates them).
    let modified: Date
    let readers: ReaderPool

    /// How many files the archive holds.
    public var fileCount: Int { files.count }

    /// A name for the download: `PROJECT-COMMIT12.tar.gz` or `.zip`.
    public var fileName: String { "\(projectID)-\(commit.hex.prefix(12)).\(format.fileExtension)" }

    public func makeAsyncIterator() -> Iterator {
        Iterator(archive: self)
    }

    /// Yields the archive's bytes: a header first, then one chunk per file, then the trailer.
    public struct Iterator: AsyncIteratorProtocol {
        private let archive: ProjectArchive
        /// The next file to write.
        private var index = 0
        private var finished = false
        private let tar: TarWriter
        private var zip: ZipWriter
        /// The gzip stream around the tar (tar.gz only), opened by the first step.
        private var gzip: ZlibStream?

        init(archive: ProjectArchive) {
            self.archive = archive
            tar = TarWriter(modified: archive.modified)
            zip = ZipWriter(modified: archive.modified)
        }

        public mutating func next() async throws -> Data? {
            // gzip may hold a small entry's bytes back; such steps yield nothing and go on to the next.
            while !finished {
                let chunk = try step()
                if !chunk.isEmpty { return chunk }
            }
            return nil
        }

        private mutating func step() throws -> Data {
            switch archive.format {
            case .tarGzip:
                guard let gzip else {
                    let stream = try ZlibStream(.gzip(level: ZlibStream.defaultLevel))
                    gzip = stream
                    return try stream.update(tar.start(commit: archive.commit.hex))
                }
                if index < archive.files.count {
                    let file = archive.files[index]
                    index += 1
                    return try gzip.update(tar.file(path: file.path, data: read(file)))
                }
                finished = true
                return try gzip.finish(tar.end())
            case .zip:
                if index < archive.files.count {
                    let file = archive.files[index]
                    index += 1
                    return try zip.file(path: file.path, data: read(file))
                }
                finished = true
                return try zip.end(comment: archive.commit.hex)
            }
        }

        private func read(_ file: File) throws -> Data {
            do {
                return try archive.readers.withRepository { try $0.readBlob(file.blob) }
            } catch {
                throw StoreError(.unavailable, "\(file.path) could not be read from git for the export", cause: error)
            }
        }
    }
}
