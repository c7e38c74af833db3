internal import CGit2

/// A failed libgit2 call: which function failed, libgit2's own message, and a code callers can branch on.
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// libgit2's error code (`git_error_code`), kept open so codes the project does not name still pass through.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The raw negative libgit2 return value.
        public let rawValue: Int32
        /// Wraps a raw libgit2 return value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Generic failure.
        public static let failed = Code(rawValue: GIT_ERROR.rawValue)
        /// The requested object, reference or path does not exist.
        public static let notFound = Code(rawValue: GIT_ENOTFOUND.rawValue)
        /// The object or reference already exists.
        public static let exists = Code(rawValue: GIT_EEXISTS.rawValue)
        /// A short id matched more than one object.
        public static let ambiguous = Code(rawValue: GIT_EAMBIGUOUS.rawValue)
        /// The input was not valid for the call.
        public static let invalidSpec = Code(rawValue: GIT_EINVALIDSPEC.rawValue)
        /// A merge or checkout met a conflict.
        public static let conflict = Code(rawValue: GIT_ECONFLICT.rawValue)
        /// Another writer holds the lock file.
        public static let locked = Code(rawValue: GIT_ELOCKED.rawValue)
        /// A reference moved since it was read (compare-and-swap lost).
        public static let modified = Code(rawValue: GIT_EMODIFIED.rawValue)
        /// The repository is not a bare repository where one was required, or vice versa.
        public static let bareRepo = Code(rawValue: GIT_EBAREREPO.rawValue)

        /// The code's libgit2 name where the project knows it.
        public var description: String {
            switch self {
            case .notFound: return "not found"
            case .exists: return "exists"
            case .ambiguous: return "ambiguous"
            case .invalidSpec: return "invalid"
            case .conflict: return "conflict"
            case .locked: return "locked"
            case .modified: return "modified"
            default: return "error \(rawValue)"
            }
        }
    }

    /// What kind of failure this was.
    public var code: Code
    /// The C function that failed, or the Swift operation that found the problem.
    public var function: String
    /// libgit2's message (thread-local in C, copied here before anything else can overwrite it).
    public var message: String

    /// Creates an error with an explicit message; used where Swift code finds the problem itself.
    public init(code: Code, function: String, message: String) {
        self.code = code
        self.function = function
        self.message = message
    }

    /// One line naming the function, the message and the code.
    public var description: String { "\(function): \(message) (\(code))" }

    /// Builds the error for a negative return value, reading libgit2's thread-local message at once.
    static func last(_ result: Int32, _ function: String) -> GitError {
        var message = "unknown libgit2 error"
        if let last = git_error_last(), let text = last.pointee.message {
            message = String(cString: text)
        }
        return GitError(code: Code(rawValue: result), function: function, message: message)
    }
}

/// Every libgit2 return code goes through here: a negative value becomes a `GitError` naming `function`.
@discardableResult
func check(_ result: Int32, _ function: String) throws -> Int32 {
    if result < 0 { throw GitError.last(result, function) }
    return result
}
