#define _GNU_SOURCE
#include <unistd.h>
#include "folio_support.h"

int folio_syncfs(int fd) {
    return syncfs(fd);
}
