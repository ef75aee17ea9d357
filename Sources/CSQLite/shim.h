// SQLite (Debian libsqlite3-dev). SQLITE_TRANSIENT is a cast macro Swift cannot
// import, so binding text and blobs goes through these wrappers.
#ifndef TOLLGATE_CSQLITE_SHIM_H
#define TOLLGATE_CSQLITE_SHIM_H
#include <sqlite3.h>

static inline int tollgate_sqlite3_bind_text(sqlite3_stmt *statement, int index, const char *text, int bytes) {
    return sqlite3_bind_text(statement, index, text, bytes, SQLITE_TRANSIENT);
}

static inline int tollgate_sqlite3_bind_blob(sqlite3_stmt *statement, int index, const void *data, int bytes) {
    return sqlite3_bind_blob(statement, index, data, bytes, SQLITE_TRANSIENT);
}
#endif
