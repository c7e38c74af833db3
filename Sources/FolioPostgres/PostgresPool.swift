import Foundation
import Synchronization

/// A bounded set of connections to one database, lent to one caller at a time.
///
/// Connections are opened on demand up to `size`; a caller past that waits for one to come back. A
/// connection that broke, or comes back inside a transaction, is closed instead of reused.
public final class PostgresPool: Sendable {
    /// The database, as given (it may hold a password: never logged).
    let url: String
    private let idle = Mutex<[PostgresConnection]>([])
    private let permits: DispatchSemaphore
    /// How many connections the pool may hold open at once.
    public let size: Int

    /// The encoding connections ask the server for (see `PostgresConnection.init`).
    let clientEncoding: String

    /// A pool of at most `size` connections to `url`; nothing is opened until first used.
    public init(url: String, size: Int, clientEncoding: String = "UTF8") {
        self.url = url
        self.clientEncoding = clientEncoding
        self.size = max(size, 1)
        self.permits = DispatchSemaphore(value: max(size, 1))
    }

    /// Lends a connection to `body`. With `retry`, a statement that failed because the connection broke
    /// (an idle connection the server closed, a restart) runs once more on a fresh connection: only for
    /// work whose repetition is harmless (reads, or writes guarded by a compare-and-swap).
    public func withConnection<T>(retry: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        permits.wait()
        defer { permits.signal() }
        do {
            return try lend(body)
        } catch let error as PostgresError where retry && error.isConnectionFailure {
            return try lend(body)
        }
    }

    /// Closes every idle connection (in use ones close when they come back broken or at deinit).
    public func closeIdle() {
        idle.withLock { $0.removeAll() }
    }

    private func lend<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try idle.withLock { $0.popLast() } ?? PostgresConnection(url: url, clientEncoding: clientEncoding)
        do {
            let value = try body(connection)
            giveBack(connection)
            return value
        } catch {
            giveBack(connection)
            throw error
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        guard connection.isUsable, connection.isIdle else { return }
        idle.withLock { $0.append(connection) }
    }
}
