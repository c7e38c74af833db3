/// The archive formats a project export comes in.
public enum ArchiveFormat: String, Sendable, CaseIterable {
    /// A POSIX tar archive, gzip-compressed (as `git archive --format=tar.gz` writes).
    case tarGzip = "tar.gz"
    /// A zip archive, entries deflated (or stored when that is smaller); no zip64.
    case zip

    /// The media type of the archive.
    public var contentType: String {
        switch self {
        case .tarGzip: return "application/gzip"
        case .zip: return "application/zip"
        }
    }

    /// The file name extension, without the leading dot.
    public var fileExtension: String { rawValue }

    /// Parses a format name, with an error that lists the known ones.
    public static func parse(_ text: String, field: String = "format") throws -> ArchiveFormat {
        guard let format = ArchiveFormat(rawValue: text) else {
            throw StoreError.invalid(field, "\(field) '\(FileKey.printable(text))' is not an archive format; use 'tar.gz' or 'zip'")
        }
        return format
    }
}
