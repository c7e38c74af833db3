// GitHub's cmark-gfm (Debian's libcmark-gfm-dev and libcmark-gfm-extensions-dev): the parser, the
// HTML renderer and the GFM extensions (tables, task lists, strikethrough, autolinks).
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <stdlib.h>
