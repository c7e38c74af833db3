internal import CGit2
import FolioSupport

extension ObjectID {
    init(_ oid: git_oid) {
        self = withUnsafeBytes(of: oid.id) { ObjectID(bytes: $0) }
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// The libgit2 form, for calls into C.
    var oid: git_oid {
        var oid = git_oid()
        // The hex form was validated on construction, so parsing cannot fail.
        _ = git_oid_fromstrn(&oid, hex, 40)
        return oid
    }
}
