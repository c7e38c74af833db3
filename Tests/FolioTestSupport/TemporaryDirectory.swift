import Foundation

/// A fresh folder under the system's temp directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder's path.
    public let path: String

    /// Creates the folder.
    public init(_ label: String = "folio-test") {
        let base = ProcessInfo.processInfo.environment["FOLIO_TEST_TMPDIR"] ?? NSTemporaryDirectory()
        path = (base as NSString).appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the folder.
    public func child(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
