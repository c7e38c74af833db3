internal import CGit2
import Foundation

/// Who made a commit and when: the author (the saving user) or the committer (the service).
public struct Signature: Sendable, Equatable {
    /// The person's name as git records it.
    public var name: String
    /// The e-mail git records next to the name.
    public var email: String
    /// When, to the second (git's resolution).
    public var time: Date
    /// The time zone offset in minutes, as git stores it.
    public var offsetMinutes: Int

    /// Creates a signature; the time defaults to now in UTC.
    public init(name: String, email: String, time: Date = Date(), offsetMinutes: Int = 0) {
        self.name = name
        self.email = email
        self.time = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
        self.offsetMinutes = offsetMinutes
    }

    /// The reason a name or e-mail cannot go into a commit header, or nil when it can.
    /// git's header format has no escaping, so angle brackets and line breaks would corrupt it.
    public static func problem(with text: String) -> String? {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return "is empty" }
        if text.contains(where: { $0 == "<" || $0 == ">" || $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            return "may not contain '<', '>', line breaks or NUL"
        }
        // git trims these from both ends of a name or e-mail; one made only of them leaves nothing to record.
        let trimmedByGit = { (scalar: Unicode.Scalar) in
            scalar.value <= 0x20 || #".,:;"'\"#.unicodeScalars.contains(scalar) || scalar.properties.generalCategory == .spaceSeparator
        }
        if text.unicodeScalars.allSatisfy(trimmedByGit) {
            return "has nothing git can record: only control characters, spaces or . , : ; \" ' \\"
        }
        return nil
    }

    init(_ pointer: UnsafePointer<git_signature>) {
        let value = pointer.pointee
        self.name = String(cString: value.name)
        self.email = String(cString: value.email)
        self.time = Date(timeIntervalSince1970: TimeInterval(value.when.time))
        self.offsetMinutes = Int(value.when.offset)
    }

    /// A libgit2 signature lent to `body` and freed afterwards.
    func withGitSignature<T>(_ body: (UnsafeMutablePointer<git_signature>) throws -> T) throws -> T {
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&signature, name, email, git_time_t(time.timeIntervalSince1970), Int32(offsetMinutes)), "git_signature_new")
        defer { git_signature_free(signature) }
        return try body(signature!)
    }
}
