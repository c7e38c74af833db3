import Foundation

/// A statement's result, copied out of libpq before its handle is freed: column names and every value
/// as text (nil for SQL NULL), the way the text protocol returns them.
public struct PostgresRows: Sendable {
    /// Column names in order.
    public let columns: [String]
    /// Rows of values; each row has one entry per column.
    public let rows: [[String?]]
    /// Rows a command changed (INSERT, UPDATE, DELETE), 0 for queries.
    public let affected: Int

    /// Cells whose bytes were not UTF-8 (read as nil); only a SQL_ASCII database can hold such text.
    public let invalidText: Set<Cell>

    /// A cell's position.
    public struct Cell: Hashable, Sendable {
        /// Row index.
        public var row: Int
        /// Column index.
        public var column: Int

        /// The cell at `row`, `column`.
        public init(row: Int, column: Int) {
            self.row = row
            self.column = column
        }
    }

    /// Makes a result (tests and callers that build one by hand).
    public init(columns: [String], rows: [[String?]], affected: Int, invalidText: Set<Cell> = []) {
        self.columns = columns
        self.rows = rows
        self.affected = affected
        self.invalidText = invalidText
    }

    /// The first row's first value, nil when there is no row or it is NULL.
    public var scalar: String? { rows.first?.first ?? nil }

    /// The rows as `Row` views that read values by column name.
    public var named: [Row] {
        let index = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return rows.enumerated().map { number, values in
            Row(values: values, index: index, invalid: Set(invalidText.filter { $0.row == number }.map(\.column)))
        }
    }

    /// One row, read by column name.
    public struct Row: Sendable {
        let values: [String?]
        let index: [String: Int]
        let invalid: Set<Int>

        /// True when the column held bytes that are not UTF-8 text (its value reads as nil).
        public func isInvalidText(_ column: String) -> Bool { index[column].map(invalid.contains) ?? false }

        /// The column's text, nil for NULL or an unknown column.
        public subscript(_ column: String) -> String? {
            guard let position = index[column], position < values.count else { return nil }
            return values[position]
        }

        /// The column as a whole number, nil for NULL or text that is not one.
        public func int(_ column: String) -> Int64? { self[column].flatMap { Int64($0) } }
    }
}
