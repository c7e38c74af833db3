internal import CGit2

/// Process-wide libgit2 set-up, done once before the first repository is touched.
enum Libgit2 {
    static let packWindowBytes = 8 * 1024 * 1024
    static let packMappedLimitBytes = 32 * 1024 * 1024
    static let objectCacheBytes = 16 * 1024 * 1024

    /// Initialising twice is harmless in libgit2, but the options below are global, so one place sets them.
    static let ready: Void = {
        precondition(git_libgit2_init() > 0, "git_libgit2_init failed")
        // Durability: an acknowledged commit must survive power loss, so objects, packs and refs are fsynced.
        precondition(folio_git_opt_enable_fsync_gitdir(1) == 0, "GIT_OPT_ENABLE_FSYNC_GITDIR failed")
        // Objects are content-addressed and written by this process or verified by `git fsck`; re-hashing
        // every blob on each read (SHA-1 with collision detection) would make loads of large documents
        // several times slower, and git itself does not do it on ordinary reads either.
        precondition(folio_git_opt_enable_strict_hash_verification(0) == 0, "GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION failed")
        // Packs are read through memory maps. By default libgit2 maps up to 1 GiB at a time and keeps up
        // to 8 GiB mapped, so a server that has read across a large pack keeps all of it resident.
        // Smaller windows under a bound keep the process's memory independent of the repository's size
        // (the least recently used windows are unmapped; the kernel's page cache still holds the data).
        precondition(folio_git_opt_set_mwindow_size(Libgit2.packWindowBytes) == 0, "GIT_OPT_SET_MWINDOW_SIZE failed")
        precondition(folio_git_opt_set_mwindow_mapped_limit(Libgit2.packMappedLimitBytes) == 0, "GIT_OPT_SET_MWINDOW_MAPPED_LIMIT failed")
        // libgit2 caches every commit and tree it reads, up to 256 MiB per repository handle. Folio keeps
        // its own caches of what it serves, and a history read (ingest) touches each object once: there
        // the default cache held 700 MiB and its upkeep cost a fifth of a 100k-commit reindex. (Raising
        // the pack mapping bound for such reads gained 5% at most once the cache was small, and left
        // the whole pack resident in a server afterwards, so the bound stays.)
        precondition(folio_git_opt_set_cache_max_size(Libgit2.objectCacheBytes) == 0, "GIT_OPT_SET_CACHE_MAX_SIZE failed")
    }()
}
