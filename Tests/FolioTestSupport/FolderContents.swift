import Foundation

/// Every file below `folder`, by path relative to it, with its bytes: what an unpacked archive holds,
/// compared whole.
public func filesBelow(_ folder: String) -> [String: Data] {
    var found: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder)
    while let path = enumerator?.nextObject() as? String {
        var isFolder: ObjCBool = false
        FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder)
        if !isFolder.boolValue { found[path] = FileManager.default.contents(atPath: folder + "/" + path) }
    }
    return found
}

/// What `git archive COMMIT PROJECT/` holds, unpacked by the `tar` command into `folder`.
public func gitArchiveContents(repository: String, commit: String, project: String, into folder: String) throws -> [String: Data] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try git("-C", repository, "archive", "--format=tar", "-o", folder + ".tar", commit, project + "/")
    let unpacked = try runCommand("/usr/bin/env", ["tar", "-xf", folder + ".tar", "-C", folder])
    guard unpacked.status == 0 else { throw CommandFailure(message: "tar -xf exited \(unpacked.status): \(unpacked.stderr)") }
    return filesBelow(folder)
}
