import FolioSupport
import Foundation
import Logging

/// The live fallback to the old system's tables (`FOLIO_LEGACY_DATABASE_URL`): a file that has never been
/// in git is read from its legacy row and listed with the project's files, as the old app "checked both
/// locations"; its first save through Folio moves it into git and writes the row's key column.
extension DocumentStore {
    /// The legacy row for `key` as a loaded document, or nil when the old tables have none with content.
    func legacyDocument(_ key: FileKey) throws -> LoadedDocument? {
        guard let legacy else { return nil }
        // The newest row wins when several map to one key (rows come oldest first).
        guard let row = try legacy.mappedRows(projectID: key.projectID, type: key.fileType).last(where: { $0.key == key })?.row,
              (row.contentBytes ?? 0) > 0,
              case .text(let content) = try legacy.contents(key.fileType, ids: [row.id])[row.id] else { return nil }
        var metadata: [String: JSONValue] = [key.fileType == .prd ? "prd_name" : "implementation_name": .string(row.name)]
        if let author = row.author { metadata["updated_by"] = .string(author) }
        return LoadedDocument(
            fileKey: key.path, content: content, metadata: metadata, type: key.fileType.rawValue, commit: nil,
            updatedBy: row.author, updatedAt: row.updatedAt, source: .database)
    }

    /// `records` (a project's files from the catalog) plus the project's legacy rows the catalog has never
    /// seen, ordered as the catalog orders them (type, then name).
    func addingLegacyRows(to records: [DocumentRecord], projectID: String, type: FileType?) throws -> [DocumentRecord] {
        guard let legacy else { return records }
        var byKey = Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for (row, key) in try legacy.mappedRows(projectID: projectID, type: type) where (row.contentBytes ?? 0) > 0 {
            if let existing = byKey[key], existing.commit != nil || existing.legacyContent != nil { continue }
            guard try catalog.document(key) == nil else { continue }
            byKey[key] = DocumentRecord(
                key: key, commit: nil, blob: nil, size: row.contentBytes ?? 0, updatedBy: row.author, updatedAt: row.updatedAt,
                deletedAt: nil, legacyContent: nil, metadata: nil)
        }
        return byKey.values.sorted { ($0.key.fileType.rawValue, $0.key.name) < ($1.key.fileType.rawValue, $1.key.name) }
    }

    /// After a save created `key` in git: the legacy rows it came from now say where it is, as the old
    /// app's `save_file` would have written. A failure here loses nothing (git has the save); it is logged.
    func recordMovedLegacyRows(_ key: FileKey, commit: ObjectID) {
        guard let legacy else { return }
        do {
            let rows = try legacy.mappedRows(projectID: key.projectID, type: key.fileType).filter { $0.key == key }.map(\.row)
            try legacy.writeBack(key.fileType, rows.map { ($0.id, key.path, commit.hex) })
        } catch {
            logger.warning("saved a legacy file into git but could not record it in the old table", metadata: [
                "key": "\(key.path)", "error": "\(error)",
            ])
        }
    }
}
