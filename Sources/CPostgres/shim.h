// PostgreSQL client library (Debian libpq-dev). Its header lives under
// /usr/include/postgresql, which pkg-config (libpq.pc) adds to the search path.
#ifndef TOLLGATE_CPOSTGRES_SHIM_H
#define TOLLGATE_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
