#ifndef FOLIO_SUPPORT_H
#define FOLIO_SUPPORT_H

/// syncfs(2): flushes the one file system holding `fd`. glibc declares it only under _GNU_SOURCE,
/// which Swift's C importer does not set, so this shim compiles it with that macro defined.
int folio_syncfs(int fd);

/// malloc_trim(0): returns the heap's free pages to the system (every arena, also pages in the middle
/// of one). glibc keeps freed memory for reuse, so after a burst of large documents the process would
/// otherwise stay as large as its peak. Returns 1 when memory was released, 0 when there was none.
int folio_release_free_heap(void);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends are close-on-exec from the moment they exist, so a child
/// another thread spawns at the same moment cannot inherit them (pipe() then fcntl() leaves a window).
/// Declared by glibc only under _GNU_SOURCE.
int folio_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np: the child changes to `path` before it runs the program
/// (glibc 2.29 and later, declared only under _GNU_SOURCE). `actions` is a posix_spawn_file_actions_t.
int folio_spawn_actions_chdir(void *actions, const char *path);

/// Whether child `pid` has ended, without waiting and without reaping it (waitid with WNOHANG and
/// WNOWAIT): 1 ended, 0 still running, -1 error (errno set). The field waitid fills in is a macro
/// over a union, which Swift cannot read.
int folio_child_has_ended(int pid);

/// posix_spawn_file_actions_addclosefrom_np(actions, from): the child closes every descriptor from
/// `from` up before it runs the program (glibc 2.34 and later, declared only under _GNU_SOURCE).
/// Sockets SwiftNIO opens are not close-on-exec; without this a child would hold the server's
/// listening socket and its clients' connections open.
int folio_spawn_actions_closefrom(void *actions, int from);

#endif
