"""The handbook rules (rules/handbook.rules) written the way a data person
would today: pandas, groupby + time-based rolling windows. Prints seconds and
the flagged counts, so the benchmark can check both did the same work.

usage: python3 pandas_handbook.py FILE.csv.gz
"""
import sys
import time

import numpy as np
import pandas as pd

started = time.perf_counter()
df = pd.read_csv(sys.argv[1], parse_dates=["TX_DATETIME"])
df["amount"] = df["TX_AMOUNT"].round(2)
df = df.sort_values("TX_DATETIME", kind="stable").reset_index(drop=True)
df["one"] = 1.0


def rolling(frame, key, column, window, how, closed="left"):
    """A per-key time window ending at each payment (closed='left': the payment itself excluded)."""
    ordered = frame.sort_values([key, "TX_DATETIME"], kind="stable")
    rolled = ordered.groupby(key, sort=True).rolling(window, on="TX_DATETIME", closed=closed)[column].agg(how)
    return pd.Series(rolled.values, index=ordered.index).sort_index()


# Customer velocity and spend (the current payment excluded).
df["customer_tx_90d"] = rolling(df, "CUSTOMER_ID", "one", "90D", "count").fillna(0)
df["customer_avg_90d"] = rolling(df, "CUSTOMER_ID", "amount", "90D", "mean")

# Fraud known at the terminal: labels count 7 days after the payment, so a window of
# W days of reports covers payments made 7 to 7+W days ago (the handbook's delay trick).
df["terminal_fraud"] = ((df["TX_FRAUD"] == 1) & (df["amount"] <= 220)).astype(float)
known = {}
for days in (7, 14, 21, 28):
    with_delay = rolling(df, "TERMINAL_ID", "terminal_fraud", f"{7 + days}D", "sum", closed="right")
    in_delay = rolling(df, "TERMINAL_ID", "terminal_fraud", "7D", "sum", closed="right")
    known[days] = (with_delay - in_delay).fillna(0)
terminal_tx_7d = rolling(df, "TERMINAL_ID", "one", "7D", "count").fillna(0)
terminal_tx_14d = rolling(df, "TERMINAL_ID", "one", "14D", "count").fillna(0)

# The rules.
over_limit = df["amount"] > 220
compromise_open = known[28] == known[21]
terminal_compromised = (known[7] >= 1) & (known[7] * 2 >= terminal_tx_14d - terminal_tx_7d) & compromise_open
terminal_repeated = (known[14] >= 2) & compromise_open
spend_spike = (df["customer_tx_90d"] >= 5) & (df["amount"] > 2.5 * df["customer_avg_90d"])
action = np.where(over_limit, "block", np.where(terminal_compromised | terminal_repeated | spend_spike, "review", "allow"))
pd.DataFrame({"id": df["TRANSACTION_ID"], "action": action}).to_csv("/dev/null", index=False)
elapsed = time.perf_counter() - started
print(f"pandas_seconds={elapsed:.3f}")
print(f"pandas_rows={len(df)}")
print(f"pandas_flagged={int((action != 'allow').sum())}")
