/* The raw ceiling of this disk and SQLite for the ledger's write shape: per
 * transfer, one row inserted into a table like ledger_transfers (same columns
 * and indexes) and two account balance updates; WAL, synchronous=FULL, one
 * fsync per commit; the same cache and checkpoint settings as the ledger writer.
 * Measured with 1 transfer per commit and 1,000 per commit. With "minimal" as
 * third argument the table has no secondary indexes (the bare write shape).
 * Also times fdatasync of a 4 KiB write. Prints key=value lines.
 * usage: sqlite_ceiling DIR SECONDS_PER_MODE */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void id_bytes(uint64_t high, uint64_t low, unsigned char out[16]) {
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(high >> (56 - 8 * i));
    for (int i = 0; i < 8; i++) out[8 + i] = (unsigned char)(low >> (56 - 8 * i));
}

static const char *indexes =
    "CREATE INDEX by_debit ON transfers(debit_account_id, timestamp);"
    "CREATE INDEX by_credit ON transfers(credit_account_id, timestamp);"
    "CREATE UNIQUE INDEX one_resolution ON transfers(pending_id) WHERE pending_id IS NOT NULL;"
    "CREATE INDEX due ON transfers(expires_at) WHERE pending_state = 1 AND expires_at IS NOT NULL;";
static int with_indexes = 1;

static const char *schema =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=16384;"
    "CREATE TABLE accounts (id BLOB PRIMARY KEY, currency TEXT NOT NULL, code INTEGER NOT NULL, flags INTEGER NOT NULL,"
    " user_data INTEGER NOT NULL, debits_pending INTEGER NOT NULL, debits_posted INTEGER NOT NULL,"
    " credits_pending INTEGER NOT NULL, credits_posted INTEGER NOT NULL, timestamp INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE transfers (id BLOB PRIMARY KEY, debit_account_id BLOB NOT NULL, credit_account_id BLOB NOT NULL,"
    " amount INTEGER NOT NULL, currency TEXT NOT NULL, kind INTEGER NOT NULL, pending_id BLOB, timeout_seconds INTEGER NOT NULL,"
    " code INTEGER NOT NULL, user_data INTEGER NOT NULL, timestamp INTEGER NOT NULL, pending_state INTEGER NOT NULL,"
    " expires_at INTEGER, resolved_at INTEGER) WITHOUT ROWID;";

enum { ACCOUNTS = 1100 };

/* Runs transfers in commits of `batch` for about `seconds`; returns transfers/s and the median commit latency. */
static void run_mode(const char *dir, int batch, double seconds, double *tps, double *median_ms) {
    char path[4096];
    snprintf(path, sizeof path, "%s/ceiling-%d.db", dir, batch);
    unlink(path);
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    check(sqlite3_exec(db, schema, 0, 0, 0), db, "schema");
    if (with_indexes) check(sqlite3_exec(db, indexes, 0, 0, 0), db, "indexes");
    sqlite3_stmt *insert_account, *insert, *update_debit, *update_credit;
    check(sqlite3_prepare_v2(db, "INSERT INTO accounts VALUES (?, 'USD', 1, 0, 0, 0, 0, 0, 0, 0)", -1, &insert_account, 0), db, "prepare");
    check(sqlite3_exec(db, "BEGIN", 0, 0, 0), db, "begin");
    for (uint64_t a = 1; a <= ACCOUNTS; a++) {
        unsigned char id[16];
        id_bytes(0, a, id);
        sqlite3_bind_blob(insert_account, 1, id, 16, SQLITE_TRANSIENT);
        check(sqlite3_step(insert_account), db, "insert account");
        sqlite3_reset(insert_account);
    }
    check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    check(sqlite3_prepare_v2(db, "INSERT INTO transfers VALUES (?, ?, ?, ?, 'USD', 0, NULL, 0, 0, 0, ?, 0, NULL, NULL)", -1, &insert, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE accounts SET debits_posted = debits_posted + ? WHERE id = ?", -1, &update_debit, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE accounts SET credits_posted = credits_posted + ? WHERE id = ?", -1, &update_credit, 0), db, "prepare");
    int capacity = 1 << 20, commits = 0;
    double *latencies = malloc(sizeof(double) * capacity);
    uint64_t transfers = 0, seed = 88172645463325252ull, run = (uint64_t)time(0);
    double start = now_seconds();
    while (now_seconds() - start < seconds && commits < capacity) {
        double begin = now_seconds();
        check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
        for (int i = 0; i < batch; i++) {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            unsigned char id[16], debit[16], credit[16];
            id_bytes(run, ++transfers, id);
            id_bytes(0, 101 + seed % 1000, debit);
            id_bytes(0, 1 + (seed >> 20) % 100, credit);
            int64_t amount = 100 + (int64_t)((seed >> 40) % 20000);
            sqlite3_bind_blob(insert, 1, id, 16, SQLITE_TRANSIENT);
            sqlite3_bind_blob(insert, 2, debit, 16, SQLITE_TRANSIENT);
            sqlite3_bind_blob(insert, 3, credit, 16, SQLITE_TRANSIENT);
            sqlite3_bind_int64(insert, 4, amount);
            sqlite3_bind_int64(insert, 5, (int64_t)transfers);
            check(sqlite3_step(insert), db, "insert");
            sqlite3_reset(insert);
            sqlite3_bind_int64(update_debit, 1, amount);
            sqlite3_bind_blob(update_debit, 2, debit, 16, SQLITE_TRANSIENT);
            check(sqlite3_step(update_debit), db, "update");
            sqlite3_reset(update_debit);
            sqlite3_bind_int64(update_credit, 1, amount);
            sqlite3_bind_blob(update_credit, 2, credit, 16, SQLITE_TRANSIENT);
            check(sqlite3_step(update_credit), db, "update");
            sqlite3_reset(update_credit);
        }
        check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
        latencies[commits++] = (now_seconds() - begin) * 1000;
    }
    double elapsed = now_seconds() - start;
    qsort(latencies, commits, sizeof(double), compare_doubles);
    *tps = transfers / elapsed;
    *median_ms = latencies[commits / 2];
    free(latencies);
    sqlite3_finalize(insert_account);
    sqlite3_finalize(insert);
    sqlite3_finalize(update_debit);
    sqlite3_finalize(update_credit);
    sqlite3_close(db);
    unlink(path);
    unlink(wal);
}

static double fsync_median_ms(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-probe", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); exit(1); }
    char block[4096];
    memset(block, 7, sizeof block);
    enum { N = 300 };
    double samples[N];
    for (int i = 0; i < N; i++) {
        if (pwrite(fd, block, sizeof block, (off_t)(i % 64) * 4096) != (ssize_t)sizeof block) { perror("pwrite"); exit(1); }
        double begin = now_seconds();
        fdatasync(fd);
        samples[i] = (now_seconds() - begin) * 1000;
    }
    close(fd);
    unlink(path);
    qsort(samples, N, sizeof(double), compare_doubles);
    return samples[N / 2];
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: sqlite_ceiling DIR SECONDS [minimal]\n"); return 2; }
    const char *prefix = "c";
    if (argc > 3 && strcmp(argv[3], "minimal") == 0) { with_indexes = 0; prefix = "c_minimal"; }
    double seconds = atof(argv[2]), tps, median;
    if (with_indexes) printf("fsync_ms=%.4f\n", fsync_median_ms(argv[1]));
    run_mode(argv[1], 1, seconds, &tps, &median);
    printf("%s_batch1_transfers_per_second=%.0f\n%s_single_latency_ms=%.4f\n", prefix, tps, prefix, median);
    run_mode(argv[1], 1000, seconds, &tps, &median);
    printf("%s_batch1000_transfers_per_second=%.0f\n%s_batch1000_commit_ms=%.4f\n", prefix, tps, prefix, median);
    return 0;
}
