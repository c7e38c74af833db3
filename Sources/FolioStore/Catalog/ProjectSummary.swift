import Foundation

/// A project that has live files, as the web UI's first page lists it.
public struct ProjectSummary: Sendable, Equatable {
    /// The project id.
    public var id: String
    /// How many live files it has.
    public var files: Int
    /// When its most recently changed file changed.
    public var updatedAt: Date?
}
