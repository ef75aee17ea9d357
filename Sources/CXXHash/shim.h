// libxxhash (Debian libxxhash-dev): XXH3 for rule-set hashes and counter keys.
#ifndef TOLLGATE_CXXHASH_SHIM_H
#define TOLLGATE_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
