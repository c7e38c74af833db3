import Foundation

/// Where the old system keeps its rows: its Django tables and the columns Folio reads and writes back.
public struct LegacyTables: Sendable {
    /// The PRD table (`FOLIO_LEGACY_PRD_TABLE`, default `projects_projectprd`).
    public var prdTable = "projects_projectprd"
    /// The implementation table (`FOLIO_LEGACY_IMPLEMENTATION_TABLE`, default `projects_projectimplementation`).
    public var implementationTable = "projects_projectimplementation"
    /// The author column (`FOLIO_LEGACY_AUTHOR_COLUMN`, default `updated_by`); rows of a table without it,
    /// or with it empty, get the default author.
    public var authorColumn = "updated_by"
    /// The column a moved row's commit id is written to, where the table has it
    /// (`FOLIO_LEGACY_COMMIT_COLUMN`, default `folio_commit_id`).
    public var commitColumn = "folio_commit_id"
    /// The column that says where a row's content went (`s3_file_key` in the old app).
    public var keyColumn = "s3_file_key"

    /// The Django defaults.
    public init() {}

    /// The defaults, overridden by `FOLIO_LEGACY_*` variables.
    public static func fromEnvironment(_ environment: [String: String]) -> LegacyTables {
        var tables = LegacyTables()
        if let value = environment["FOLIO_LEGACY_PRD_TABLE"].nonEmpty { tables.prdTable = value }
        if let value = environment["FOLIO_LEGACY_IMPLEMENTATION_TABLE"].nonEmpty { tables.implementationTable = value }
        if let value = environment["FOLIO_LEGACY_AUTHOR_COLUMN"].nonEmpty { tables.authorColumn = value }
        if let value = environment["FOLIO_LEGACY_COMMIT_COLUMN"].nonEmpty { tables.commitColumn = value }
        return tables
    }

    /// The table holding files of `type`.
    func table(for type: FileType) -> String {
        type == .prd ? prdTable : implementationTable
    }
}
