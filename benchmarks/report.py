"""Reads the key=value lines the benchmark programs print, checks that every
engine made the same decisions, prints a table and, last, one JSON object."""
import json
import sys


def read(path):
    values = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key:
                values[key] = value
    return values


def counters(path, redis_path=None):
    v = read(path)
    r = read(redis_path) if redis_path else {}
    print(f"in-memory counters, read + record per payment, {int(v['counters_keys']):,} distinct keys: "
          f"{int(v['updates_per_second_per_core']):,} per second (1 core, median of 3)")
    print(f"memory: {int(v['memory_keys']):,} keys, {int(v['memory_events']):,} events in 24h: "
          f"{int(v['memory_bytes']) / 2**30:.2f} GiB counted, {int(v['bytes_per_key'])} bytes per key, "
          f"process resident {int(v['resident_bytes']) / 2**30:.2f} GiB")
    redis_events = int(r["redis_events_per_second"]) if "redis_events_per_second" in r else None
    pipelined = int(r["redis_pipelined_16_updates_per_second"]) if "redis_pipelined_16_updates_per_second" in r else None
    incr = float(r["redis_benchmark_incr_per_second"]) if "redis_benchmark_incr_per_second" in r else None
    fraction = round(pipelined / incr, 3) if pipelined and incr else None
    if redis_events is not None:
        print(f"redis-benchmark -P 16 INCR (same server, same run): {incr:,.0f} per second")
        print(f"Tollgate Redis store, online: read + record per payment, {r['redis_threads']} request threads: {redis_events:,} payments per second "
              f"(errors {r['redis_errors']}, {r.get('redis_errors_after_bulk', '?')} after the bulk runs)")
        print(f"Tollgate Redis store, pipelined updates (HINCRBY + PEXPIRE each), 16 per pipeline: {pipelined:,} per second; "
              f"256 per pipeline: {int(r['redis_pipelined_256_updates_per_second']):,} per second")
        print(f"fraction of redis-benchmark INCR (16 per pipeline): {fraction}")
    print(json.dumps({
        "updates_per_second_per_core": int(v["updates_per_second_per_core"]),
        "bytes_per_key": int(v["bytes_per_key"]),
        "memory_keys": int(v["memory_keys"]),
        "resident_bytes": int(v["resident_bytes"]),
        "redis_ops_per_second": pipelined,
        "redis_online_payments_per_second": redis_events,
        "fraction_of_redis_benchmark": fraction,
        "redis_benchmark_incr_per_second": incr,
    }))


def batch(times_path, summary_path, pandas_path, decisions_path):
    import statistics
    zcat, tollgate = [], []
    for line in open(times_path):
        key, _, value = line.strip().partition("=")
        (zcat if key == "zcat_seconds" else tollgate).append(float(value))
    summary = json.load(open(summary_path))
    pandas = read(pandas_path)
    rows = int(summary["scored_rows"])
    zcat_s, tollgate_s, pandas_s = statistics.median(zcat), statistics.median(tollgate), float(pandas["pandas_seconds"])
    flagged = sum(1 for line in open(decisions_path) if not line.startswith("row,") and ",allow," not in line)
    print(f"input: {rows:,} rows (gzip CSV), rules/handbook.rules: 8 velocity features, 4 rules; medians of {len(tollgate)} runs")
    print(f"{'what':58} {'seconds':>8} {'rows/s':>12}")
    print(f"{'zcat FILE > /dev/null (the floor)':58} {zcat_s:8.3f} {rows / zcat_s:12,.0f}")
    print(f"{'tollgate score (read, replay, rules, decisions CSV written)':58} {tollgate_s:8.3f} {rows / tollgate_s:12,.0f}")
    print(f"{'pandas groupby + rolling, same features and rules':58} {pandas_s:8.3f} {rows / pandas_s:12,.0f}")
    print(f"tollgate phases (last run): {summary.get('phase_seconds')}")
    print(f"decisions flagged: tollgate {flagged:,}, pandas {int(pandas['pandas_flagged']):,} (window edges at equal timestamps differ slightly)")
    print(f"tollgate / zcat: {tollgate_s / zcat_s:.2f}x the floor (target <= 3); pandas / tollgate: {pandas_s / tollgate_s:.1f}x (target >= 20)")
    print(json.dumps({
        "rows_per_second": int(rows / tollgate_s),
        "zcat_seconds": round(zcat_s, 3),
        "tollgate_seconds": round(tollgate_s, 3),
        "pandas_seconds": round(pandas_s, 3),
        "speedup_vs_pandas": round(pandas_s / tollgate_s, 1),
        "fraction_of_zcat_floor": round(zcat_s / tollgate_s, 3),
        "rows": rows,
    }))


def wrk(path):
    """Requests/s and p50/p99 latency (ms) from `wrk --latency` output."""
    text = open(path).read()
    import re
    rps = float(re.search(r"Requests/sec:\s*([0-9.]+)", text).group(1))
    def latency(label):
        match = re.search(rf"^\s*{label}%\s+([0-9.]+)(us|ms|s)\s*$", text, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, latency("50"), latency("99"), int(errors.group(1)) if errors else 0


def http(nginx_path, decisions_path, half_path, charges_path=None):
    nginx, decisions, half = wrk(nginx_path), wrk(decisions_path), wrk(half_path)
    charges = wrk(charges_path) if charges_path else None
    print(f"{'what (wrk, 2 threads, same machine)':48} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, (rps, p50, p99, errors) in [("nginx, fixed JSON (the ceiling)", nginx),
                                          ("Tollgate POST /v1/decisions, default rules", decisions),
                                          ("  the same at about half that rate", half)] + (
                                          [("Tollgate POST /v1/charges, authorize + capture, SQLite", charges)] if charges else []):
        print(f"{name:48} {rps:10,.0f} {p50:8.3f} {p99:8.3f} {errors:8}")
    print(json.dumps({
        "nginx_rps": round(nginx[0]),
        "decisions_rps": round(decisions[0]),
        "fraction_of_nginx": round(decisions[0] / nginx[0], 3),
        "decisions_p99_ms": round(half[2], 3),
        "decisions_p99_ms_at_full_load": round(decisions[2], 3),
        "decisions_half_rate_rps": round(half[0]),
        "charges_rps": round(charges[0]) if charges else None,
        "charges_p99_ms": round(charges[2], 3) if charges else None,
        "charges_non_2xx": charges[3] if charges else None,
    }))


def ledger(c_path, sqlite_path, postgres_path):
    c, lite, pg = read(c_path), read(sqlite_path), read(postgres_path)
    f = lambda d, k: float(d[k])
    ceiling = f(c, "c_batch1000_transfers_per_second")
    headline = f(lite, "sqlite_64_submitters_transfers_per_second")
    batched = f(lite, "sqlite_64_submitters_x100_transfers_per_second")
    pgbench = f(pg, "pgbench_tpcb_tps")
    pg_headline = f(pg, "postgres_64_submitters_transfers_per_second")
    pg_batched = f(pg, "postgres_64_submitters_x100_transfers_per_second")
    rows = [
        ("what (durable: WAL + synchronous=FULL / PostgreSQL fsync)", "transfers/s", "median ms", "mean batch"),
        ("fdatasync of 4 KiB (this disk)", "-", c["fsync_ms"], "-"),
        ("C + SQLite, ledger schema, 1 per commit", f"{f(c, 'c_batch1_transfers_per_second'):,.0f}", c["c_single_latency_ms"], "1"),
        ("C + SQLite, ledger schema, 1,000 per commit (ceiling)", f"{ceiling:,.0f}", c["c_batch1000_commit_ms"], "1000"),
        ("C + SQLite, no secondary indexes, 1,000 per commit", f"{f(c, 'c_minimal_batch1000_transfers_per_second'):,.0f}", c["c_minimal_batch1000_commit_ms"], "1000"),
    ]
    for n in ("1", "8", "64"):
        k = f"sqlite_{n}_submitters"
        rows.append((f"Tollgate SQLite, {n} submitters x 1 transfer", f"{f(lite, k + '_transfers_per_second'):,.0f}", lite[k + "_median_latency_ms"], lite[k + "_mean_batch_transfers"]))
    rows.append(("Tollgate SQLite, 64 submitters x 100 transfers", f"{batched:,.0f}", lite["sqlite_64_submitters_x100_median_latency_ms"], lite["sqlite_64_submitters_x100_mean_batch_transfers"]))
    rows.append(("pgbench TPC-B, 8 clients (tps)", f"{pgbench:,.0f}", "-", "-"))
    for n in ("1", "8", "64"):
        k = f"postgres_{n}_submitters"
        rows.append((f"Tollgate PostgreSQL, {n} submitters x 1 transfer", f"{f(pg, k + '_transfers_per_second'):,.0f}", pg[k + "_median_latency_ms"], pg[k + "_mean_batch_transfers"]))
    rows.append(("Tollgate PostgreSQL, 64 submitters x 100 transfers", f"{pg_batched:,.0f}", pg["postgres_64_submitters_x100_median_latency_ms"], pg["postgres_64_submitters_x100_mean_batch_transfers"]))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(str(v).ljust(widths[i]) for i, v in enumerate(r)))
    verified = lite.get("sqlite_verified") == "yes" and pg.get("postgres_verified") == "yes"
    print(f"ledger invariants after the runs: {'hold' if verified else 'VIOLATED'}")
    print(json.dumps({
        "sqlite_transfers_per_second": round(headline),
        "fraction_of_c_ceiling": round(headline / ceiling, 3),
        "sqlite_batched_transfers_per_second": round(batched),
        "batched_fraction_of_c_ceiling": round(batched / ceiling, 3),
        "single_submitter_latency_ms": float(lite["sqlite_1_submitters_median_latency_ms"]),
        "c_single_latency_ms": float(c["c_single_latency_ms"]),
        "single_latency_ratio": round(float(lite["sqlite_1_submitters_median_latency_ms"]) / float(c["c_single_latency_ms"]), 2),
        "fsync_ms": float(c["fsync_ms"]),
        "postgres_transfers_per_second": round(pg_headline),
        "postgres_vs_pgbench": round(pg_headline / pgbench, 2),
        "postgres_batched_transfers_per_second": round(pg_batched),
        "postgres_batched_vs_pgbench": round(pg_batched / pgbench, 2),
        "pgbench_tpcb_tps": round(pgbench),
        "invariants_hold": verified,
    }))


def rules(swift_path, c_path, zen_path):
    swift, c, zen = read(swift_path), read(c_path), read(zen_path)
    swift_eps = float(swift["swift_evals_per_second"])
    c_eps = float(c["c_evals_per_second"])
    zen_eps = float(zen["zen_evals_per_second"])
    zen_rows = zen["zen_rows"]
    hand_eps = float(swift["handwritten_swift_evals_per_second"])
    hand_same = swift["handwritten_swift_checksum"] == c["c_checksum"]
    same_as_c = swift["swift_checksum"] == c["c_checksum"] and swift["swift_actions"] == c["c_actions"]
    zen_same = zen.get(f"zen_checksum_first_{zen_rows}") == c.get(f"c_checksum_first_{zen_rows}")
    rows = [
        ("engine", "evals/s (1 core)", "vs Tollgate", "same decisions"),
        ("Tollgate (rules/default.rules, %s rules)" % swift["rules"], f"{swift_eps:,.0f}", "1.00", "-"),
        ("hand-written C, gcc -O2 (ceiling)", f"{c_eps:,.0f}", f"{c_eps / swift_eps:.2f}", "yes" if same_as_c else "NO"),
        ("hand-written Swift, release", f"{hand_eps:,.0f}", f"{hand_eps / swift_eps:.2f}", "yes" if hand_same else "NO"),
        (f"zen-engine compiled expressions ({zen_rows} rows)", f"{zen_eps:,.0f}", f"{zen_eps / swift_eps:.3f}", "yes" if zen_same else "NO"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)))
    print(f"transactions: {swift['transactions']}; actions: {swift['swift_actions']}")
    print(f"compile {swift['compile_rules']} generated rules ({int(swift['compile_bytes']):,} bytes): "
          f"{float(swift['compile_seconds_median']):.3f} s (median of 3)")
    if not (same_as_c and zen_same and hand_same):
        print("WARNING: the engines disagree on some decisions; the comparison is not like for like", file=sys.stderr)
    print(json.dumps({
        "evals_per_second_per_core": round(swift_eps),
        "speedup_vs_zen_engine": round(swift_eps / zen_eps, 1),
        "fraction_of_c": round(swift_eps / c_eps, 3),
        "compile_10k_rules_seconds": round(float(swift["compile_seconds_median"]), 3),
        "c_evals_per_second": round(c_eps),
        "fraction_of_handwritten_swift": round(swift_eps / hand_eps, 3),
        "handwritten_swift_evals_per_second": round(hand_eps),
        "zen_engine_evals_per_second": round(zen_eps),
        "decisions_match_c": same_as_c,
        "decisions_match_zen_engine": zen_same,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "rules":
        rules(*sys.argv[2:5])
    elif sys.argv[1] == "counters":
        counters(*sys.argv[2:4])
    elif sys.argv[1] == "http":
        http(*sys.argv[2:6])
    elif sys.argv[1] == "batch":
        batch(*sys.argv[2:6])
    elif sys.argv[1] == "ledger":
        ledger(*sys.argv[2:5])
    else:
        sys.exit(f"unknown report {sys.argv[1]}")
