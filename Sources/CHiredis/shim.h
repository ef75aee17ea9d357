// hiredis (Debian libhiredis-dev): the Redis client for shared velocity counters.
#ifndef TOLLGATE_CHIREDIS_SHIM_H
#define TOLLGATE_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
