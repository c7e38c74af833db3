#ifndef FOLIO_CZLIB_SHIM_H
#define FOLIO_CZLIB_SHIM_H

#include <zlib.h>

/* zlib's init calls are macros that pass the library version and struct size, which Swift
   cannot expand; gzip framing is selected by the window-bits offsets (+16 write, +32 detect). */
static inline int folio_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int folio_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

/* Raw deflate (negative window bits: no header, no trailer), as a zip entry holds its data. */
static inline int folio_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

#endif
