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
    else:
        sys.exit(f"unknown report {sys.argv[1]}")
