#ifndef FOLIO_SUPPORT_H
#define FOLIO_SUPPORT_H

/// syncfs(2): flushes the one file system holding `fd`. glibc declares it only under _GNU_SOURCE,
/// which Swift's C importer does not set, so this shim compiles it with that macro defined.
int folio_syncfs(int fd);

/// malloc_trim(0): returns the heap's free pages to the system (every arena, also pages in the middle
/// of one). glibc keeps freed memory for reuse, so after a burst of large documents the process would
/// otherwise stay as large as its peak. Returns 1 when memory was released, 0 when there was none.
int folio_release_free_heap(void);

#endif
