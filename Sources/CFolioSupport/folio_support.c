#define _GNU_SOURCE
#include <malloc.h>
#include <unistd.h>
#include "folio_support.h"

int folio_syncfs(int fd) {
    return syncfs(fd);
}

int folio_release_free_heap(void) {
    return malloc_trim(0);
}
