import Foundation

/// Named points where the process can be made to die on purpose (`FOLIO_FAILPOINT=after-ref`), so tests
/// can prove that a crash between two steps of a save is repaired on the next open. Off unless the
/// variable names the point.
enum Failpoint: String {
    /// The branch moved, the catalog has not been written.
    case afterRef = "after-ref"
    /// The catalog was written, the mirror has not been.
    case afterCatalog = "after-catalog"

    private static let armed = ProcessInfo.processInfo.environment["FOLIO_FAILPOINT"]

    /// Ends the process at once (no cleanup, like a crash) when this point is armed.
    func hit() {
        guard Failpoint.armed == rawValue else { return }
        FileHandle.standardError.write(Data("folio: failpoint \(rawValue) hit, exiting\n".utf8))
        _exit(75)
    }
}
