#ifndef FOLIO_CLIBPQ_SHIM_H
#define FOLIO_CLIBPQ_SHIM_H

#include <libpq-fe.h>

#endif
