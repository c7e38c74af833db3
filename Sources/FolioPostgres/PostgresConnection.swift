internal import CLibPQ
import Foundation

/// One libpq connection, owned by this object and closed in `deinit`.
///
/// Synchronous, like the commit writer that uses it. Not safe for two threads at once: a `PostgresPool`
/// lends it to one caller at a time, which is why it can be marked `Sendable` for the pool to hold.
/// Every statement goes through `PQexecParams` with text parameters: values never become SQL text.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Connects to `url` (`postgres://user:pass@host:port/db?sslmode=…`, or any libpq connection string).
    /// Text is exchanged as UTF-8 whatever the server's default; settings in the URL win over the others.
    /// `clientEncoding` SQL_ASCII turns the server's conversion off, for a SQL_ASCII database whose
    /// bytes may not be UTF-8: the server would refuse to send them as UTF-8, and rows read here report
    /// such text as invalid instead.
    public init(url: String, applicationName: String = "folio", clientEncoding: String = "UTF8") throws {
        // With expand_dbname the URL is expanded in place, so keywords before it are defaults it can
        // override and keywords after it (the encoding the text decoding relies on) are fixed.
        let keywords = ["connect_timeout", "application_name", "dbname", "client_encoding"]
        let values = ["10", applicationName, url, clientEncoding]
        let connection = try withCStrings(keywords) { keys in
            try withCStrings(values) { vals in
                guard let connection = PQconnectdbParams(keys, vals, 1) else {
                    throw PostgresError(kind: .connect, message: "out of memory", function: "PQconnectdbParams")
                }
                return connection
            }
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(kind: .connect, message: message, function: "PQconnectdbParams")
        }
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// False once the connection broke; the pool drops such connections.
    public var isUsable: Bool { PQstatus(handle) == CONNECTION_OK }

    /// True when no transaction is open (a connection must go back to the pool idle).
    public var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Runs one statement with `$n` parameters (all sent as text; nil is NULL) and copies out its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> PostgresRows {
        let result = withOptionalCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try consume(result, function: "PQexecParams")
    }

    /// Runs statements without parameters (several may be separated by `;`), e.g. `BEGIN` or DDL.
    public func execute(_ sql: String) throws {
        try consume(PQexec(handle, sql), function: "PQexec")
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. `prologue`
    /// (parameterless statements, e.g. taking a lock) is sent with `BEGIN` in the same round trip.
    public func transaction<T>(prologue: String? = nil, _ body: (PostgresConnection) throws -> T) throws -> T {
        try execute(prologue.map { "BEGIN; \($0)" } ?? "BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            // A broken connection has no transaction left to roll back; the pool drops it.
            if isUsable { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Copies a result out of libpq, frees it and turns a failure into a `PostgresError`.
    @discardableResult
    private func consume(_ result: OpaquePointer?, function: String) throws -> PostgresRows {
        guard let result else {
            // libpq returns no result only when it cannot allocate one or the connection is gone.
            throw PostgresError(kind: isUsable ? .sql : .connectionLost, message: String(cString: PQerrorMessage(handle)), function: function)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let message = String(cString: PQresultErrorMessage(result))
            if !isUsable {
                throw PostgresError(kind: .connectionLost, message: message.isEmpty ? String(cString: PQerrorMessage(handle)) : message, function: function)
            }
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw PostgresError(kind: .sql, sqlState: state, message: message, function: function)
        }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        var invalid: Set<PostgresRows.Cell> = []
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                    continue
                }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
                // A SQL_ASCII database hands out whatever bytes were stored; text that is not UTF-8 is
                // reported as such instead of being silently repaired.
                if let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) {
                    values.append(text)
                } else {
                    values.append(nil)
                    invalid.insert(PostgresRows.Cell(row: row, column: column))
                }
            }
            rows.append(values)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affected: affected, invalidText: invalid)
    }
}

/// Lends `strings` to C as a NULL-terminated `const char *const *` (as PQconnectdbParams reads its
/// keyword and value lists) for the duration of `body`.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> T) rethrows -> T {
    try withOptionalCStrings(strings.map { Optional($0) } + [nil]) { try body($0!) }
}

/// As `withCStrings`, with nil entries passed as NULL (SQL NULL for parameters).
private func withOptionalCStrings<T>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> T) rethrows -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { buffer in try body(buffer.baseAddress) }
}
