import Foundation
internal import FolioPostgres

/// The old system's PostgreSQL tables, read for migration and for the live fallback, and written only to
/// record where a moved row went (its key column and, where present, a commit column). Nothing is deleted.
final class LegacyDatabase: Sendable {
    /// One row without its content: enough to plan its move and to list it.
    struct Row: Sendable {
        var type: FileType
        /// The primary key as text.
        var id: String
        var projectID: String
        var name: String
        var author: String?
        /// `updated_at` (or `created_at` where it is NULL).
        var updatedAt: Date?
        var keyColumn: String?
        var commitColumn: String?
        /// Bytes of content; nil when the column is NULL.
        var contentBytes: Int?
    }

    /// A row's content, or the fact that its bytes are not text.
    enum Content: Sendable {
        case text(String)
        case notText
    }

    /// What Folio learned about one table when it connected.
    struct Shape: Sendable {
        var type: FileType
        var table: String
        /// The SQL expression selecting the author, or NULL.
        var author: String
        var commitColumn: String?
        /// `updated_at`, falling back to `created_at` where there is one.
        var time: String
        /// The id column's type, for typed array parameters (so the primary key index is used).
        var idType: String
    }

    let pool: PostgresPool
    let tables: LegacyTables
    let displayURL: String
    let shapes: [Shape]

    /// Connects and reads both tables' columns; a table or required column missing is an error naming it.
    init(url: String, tables: LegacyTables, poolSize: Int = 4) throws {
        self.tables = tables
        self.displayURL = PostgresCatalog.redacted(url)
        do {
            // An old SQL_ASCII database may hold bytes that are not UTF-8; the server would fail a whole
            // query over one such row, so conversion is turned off and each row's text checked here.
            let encoding = try PostgresConnection(url: url).query("SHOW server_encoding").scalar
            pool = PostgresPool(url: url, size: poolSize, clientEncoding: encoding == "SQL_ASCII" ? "SQL_ASCII" : "UTF8")
            shapes = try pool.withConnection(retry: true) { connection in
                try FileType.allCases.map { try LegacyDatabase.shape(of: tables.table(for: $0), type: $0, tables: tables, connection) }
            }
        } catch let error as PostgresError {
            throw StoreError(.unavailable, "cannot read the old system's tables at \(displayURL): \(error)", cause: error)
        }
    }

    private static func shape(of table: String, type: FileType, tables: LegacyTables, _ connection: PostgresConnection) throws -> Shape {
        let columns = try connection.query(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
            [PostgresText.identifier(table)])
        let types = Dictionary(columns.rows.compactMap { row in row[0].map { ($0, row[1] ?? "") } }, uniquingKeysWith: { first, _ in first })
        guard !types.isEmpty else {
            throw StoreError(.invalidInput, "the old system's table \(table) does not exist (set FOLIO_LEGACY_\(type == .prd ? "PRD" : "IMPLEMENTATION")_TABLE or --\(type == .prd ? "prd" : "implementation")-table)")
        }
        for required in ["id", "project_id", "name", "content", tables.keyColumn, "updated_at"] where types[required] == nil {
            throw StoreError(.invalidInput, "the old system's table \(table) has no \(required) column")
        }
        let quote = PostgresText.identifier
        return Shape(
            type: type, table: quote(table),
            author: types[tables.authorColumn] != nil ? "\(quote(tables.authorColumn))::text" : "NULL::text",
            commitColumn: types[tables.commitColumn] != nil ? tables.commitColumn : nil,
            time: types["created_at"] != nil ? "COALESCE(updated_at, created_at)" : "updated_at",
            idType: types["id"] ?? "text")
    }

    /// Rows of every table, oldest first (by time, then type, then id), optionally of one project and type.
    func rows(projectID: String? = nil, type: FileType? = nil) throws -> [Row] {
        var rows: [Row] = []
        for shape in shapes where type == nil || shape.type == type {
            let commit = shape.commitColumn.map { "\(PostgresText.identifier($0))::text" } ?? "NULL::text"
            var sql = """
                SELECT id::text, project_id::text, name, \(shape.author), (extract(epoch FROM \(shape.time)) * 1000000)::bigint,
                    \(PostgresText.identifier(tables.keyColumn))::text, \(commit), octet_length(content)
                FROM \(shape.table)
                """
            var parameters: [String?] = []
            if let projectID {
                sql += " WHERE project_id::text = $1"
                parameters.append(projectID)
            }
            let result = try run { try $0.query(sql, parameters) }
            for values in result.rows {
                rows.append(Row(
                    type: shape.type, id: values[0] ?? "", projectID: values[1] ?? "", name: values[2] ?? "", author: values[3],
                    updatedAt: values[4].flatMap(Int64.init).map { Date(timeIntervalSince1970: TimeInterval($0) / 1_000_000) },
                    keyColumn: values[5], commitColumn: values[6], contentBytes: values[7].flatMap(Int.init)))
            }
        }
        // Numeric ids order by value: shorter first, then as text.
        rows.sort {
            let left = $0.updatedAt ?? .distantPast, right = $1.updatedAt ?? .distantPast
            if left != right { return left < right }
            if $0.type != $1.type { return $0.type == .prd }
            if $0.id.count != $1.id.count { return $0.id.count < $1.id.count }
            return $0.id < $1.id
        }
        return rows
    }

    /// The content of the rows `ids` of one type's table, by id.
    func contents(_ type: FileType, ids: [String]) throws -> [String: Content] {
        guard let shape = shapes.first(where: { $0.type == type }), !ids.isEmpty else { return [:] }
        let result = try run {
            try $0.query("SELECT id::text, content FROM \(shape.table) WHERE id = ANY($1::\(shape.idType)[])", [PostgresText.arrayLiteral(ids)])
        }
        var contents: [String: Content] = [:]
        for (index, values) in result.rows.enumerated() {
            guard let id = values[0] else { continue }
            if result.invalidText.contains(PostgresRows.Cell(row: index, column: 1)) {
                contents[id] = .notText
            } else if let text = values[1] {
                contents[id] = .text(text)
            }
        }
        return contents
    }

    /// Records where moved rows went: the key column (as the old app's `save_file` returned it) and the
    /// commit column where the table has one. One statement per table.
    func writeBack(_ type: FileType, _ moved: [(id: String, key: String, commit: String)]) throws {
        guard let shape = shapes.first(where: { $0.type == type }), !moved.isEmpty else { return }
        let key = PostgresText.identifier(tables.keyColumn)
        let commit = shape.commitColumn.map { ", \(PostgresText.identifier($0)) = moved.commit" } ?? ""
        try run {
            try $0.query("""
                UPDATE \(shape.table) AS t SET \(key) = moved.key\(commit)
                FROM unnest($1::\(shape.idType)[], $2::text[], $3::text[]) AS moved (id, key, commit)
                WHERE t.id = moved.id
                """, [
                    PostgresText.arrayLiteral(moved.map(\.id)), PostgresText.arrayLiteral(moved.map(\.key)),
                    PostgresText.arrayLiteral(moved.map(\.commit)),
                ])
        }
    }

    /// Rows of `key`'s project and type under their mapped names: the live fallback's view of the old
    /// tables (the same names migration gives them).
    func mappedRows(projectID: String, type: FileType?) throws -> [(row: Row, key: FileKey)] {
        let rows = try self.rows(projectID: projectID, type: type)
        return LegacyDatabase.keyed(rows).compactMap { item in item.key.map { (item.row, $0) } }
    }

    /// Every row with its Folio key (nil when the project id cannot be a key) and its name mapping,
    /// named per project and type with `LegacyNameMapping`.
    static func keyed(_ rows: [Row]) -> [(row: Row, key: FileKey?, naming: LegacyNameMapping.Named)] {
        var groups: [String: [Int]] = [:]
        for (index, row) in rows.enumerated() { groups["\(row.projectID)/\(row.type.rawValue)", default: []].append(index) }
        var names = [LegacyNameMapping.Named?](repeating: nil, count: rows.count)
        for indices in groups.values {
            let assigned = LegacyNameMapping.assign(indices.map { (rows[$0].id, rows[$0].name) }, type: rows[indices[0]].type)
            for (index, named) in zip(indices, assigned) { names[index] = named }
        }
        return rows.enumerated().map { index, row in
            let naming = names[index]!
            return (row, try? FileKey(projectID: row.projectID, fileType: row.type, name: naming.name), naming)
        }
    }

    @discardableResult
    private func run<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection(retry: true, body)
        } catch let error as PostgresError {
            throw StoreError(.unavailable, "the old system's database at \(displayURL) failed: \(error)", cause: error)
        }
    }
}
