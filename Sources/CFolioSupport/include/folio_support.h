#ifndef FOLIO_SUPPORT_H
#define FOLIO_SUPPORT_H

/// syncfs(2): flushes the one file system holding `fd`. glibc declares it only under _GNU_SOURCE,
/// which Swift's C importer does not set, so this shim compiles it with that macro defined.
int folio_syncfs(int fd);

#endif
