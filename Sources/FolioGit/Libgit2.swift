import CGit2

/// Process-wide libgit2 set-up, done once before the first repository is touched.
enum Libgit2 {
    /// Initialising twice is harmless in libgit2, but the options below are global, so one place sets them.
    static let ready: Void = {
        precondition(git_libgit2_init() > 0, "git_libgit2_init failed")
        // Durability: an acknowledged commit must survive power loss, so objects, packs and refs are fsynced.
        precondition(folio_git_opt_enable_fsync_gitdir(1) == 0, "GIT_OPT_ENABLE_FSYNC_GITDIR failed")
        // Objects are content-addressed and written by this process or verified by `git fsck`; re-hashing
        // every blob on each read (SHA-1 with collision detection) would make loads of large documents
        // several times slower, and git itself does not do it on ordinary reads either.
        precondition(folio_git_opt_enable_strict_hash_verification(0) == 0, "GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION failed")
    }()
}
