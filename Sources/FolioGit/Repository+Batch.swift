import CGit2

extension Repository {
    /// Starts collecting new objects in memory instead of writing each as a loose, fsynced file.
    ///
    /// A save writes five or more objects (blob, trees, commit); as loose files that is one fsync each.
    /// Collected in memory and written by `flushBatch` as one pack, a whole group of saves costs one
    /// pack and index fsync. Objects stay readable through this handle while the batch is open.
    public func beginBatch() throws {
        guard mempack == nil else { return }
        var backend: UnsafeMutablePointer<git_odb_backend>?
        try check(git_mempack_new(&backend), "git_mempack_new")
        // The highest priority makes new objects land here rather than in the loose backend.
        if let error = Result(catching: { try check(git_odb_add_backend(odb, backend, 1000), "git_odb_add_backend") }).failure {
            backend?.pointee.free(backend)
            throw error
        }
        mempack = backend
    }

    /// Writes every object collected since the last flush as one durable pack (fsynced with its index).
    ///
    /// Call this before moving a reference to a commit in the batch, so the reference never points at
    /// objects that a crash could lose.
    public func flushBatch() throws {
        guard let mempack else { return }
        var buffer = git_buf()
        try check(git_mempack_dump(&buffer, handle, mempack), "git_mempack_dump")
        defer { git_buf_dispose(&buffer) }
        // A pack of zero objects is a 32-byte header and trailer; nothing new was written.
        if buffer.size > 32 {
            var writepack: UnsafeMutablePointer<git_odb_writepack>?
            try check(git_odb_write_pack(&writepack, odb, nil, nil), "git_odb_write_pack")
            defer { folio_git_writepack_free(writepack) }
            var stats = git_indexer_progress()
            try check(folio_git_writepack_append(writepack, buffer.ptr, buffer.size, &stats), "git_odb_writepack.append")
            try check(folio_git_writepack_commit(writepack, &stats), "git_odb_writepack.commit")
        }
        try check(git_mempack_reset(mempack), "git_mempack_reset")
    }

    /// Drops the objects collected since the last flush (after a lost compare-and-swap, for example).
    public func discardBatch() throws {
        guard let mempack else { return }
        try check(git_mempack_reset(mempack), "git_mempack_reset")
    }
}
