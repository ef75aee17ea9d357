// zlib (Debian zlib1g-dev): gzip input for batch scoring.
#include <zlib.h>
