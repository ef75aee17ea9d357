"""rules/default.rules for zen-engine (GoRules), the peer engine a user might
pick instead, in its fastest mode that we measured: compiled expressions
(`zen.compile_expression`) evaluated per transaction. One expression adds up
the score, a second takes the context plus that score and yields the action's
severity (0 allow, 1 challenge, 2 review, 3 block) with the same precedence
as Tollgate. Missing values are None, guarded with `!= null` as zen requires.

usage: python3 zen_default.py DATA_FILE [ROWS]
Prints zen_evals_per_second=, zen_checksum_first_N= and zen_rows= lines."""
import struct
import sys
import time

import zen

RECORD = struct.Struct("<5q12i4h24s24s24s12s8s4x")
assert RECORD.size == 192


def country(packed):
    return None if packed < 0 else chr(65 + packed // 26) + chr(65 + packed % 26)


def text(raw):
    value = raw.split(b"\0", 1)[0].decode()
    return value or None


def load(path, rows):
    contexts = []
    with open(path, "rb") as f:
        data = f.read(RECORD.size * rows)
    for offset in range(0, len(data) - RECORD.size + 1, RECORD.size):
        v = RECORD.unpack_from(data, offset)
        contexts.append({
            "amount": v[0] / 10000, "customer_age": None if v[1] < 0 else v[1],
            "device_first_seen": None if v[2] < 0 else v[2], "card_amount_24h": v[3] / 10000,
            "customer_avg_30d": None if v[4] == -(2 ** 63) else v[4] / 10000,
            "card_tx_10m": v[5], "card_tx_1h": v[6], "card_declines_1h": v[7], "card_small_tx_1h": v[8],
            "card_fraud_90d": v[9], "card_emails_7d": v[10], "ip_declines_10m": v[11], "ip_cards_1h": v[12],
            "device_cards_1d": v[13], "device_customers_7d": v[14], "customer_tx_30d": v[15],
            "customer_chargebacks_90d": v[16],
            "card_country": country(v[17]), "ip_country": country(v[18]), "billing_country": country(v[19]),
            "shipping_country": country(v[20]),
            "card": text(v[21]), "customer": text(v[22]), "email_domain": text(v[23]), "funding": text(v[24]),
            "mcc": text(v[25]),
        })
    return contexts


def listed(name, values):
    return f'({name} != null and {name} in [{", ".join(chr(34) + v + chr(34) for v in values)}])'


SANCTIONED = ["CU", "IR", "KP", "SY"]
BLOCK = " or ".join([
    listed("card", ["fp_4f1c2a9e7b3d5f60", "fp_9a8b7c6d5e4f3a2b", "fp_0123456789abcdef"]),
    listed("ip_country", SANCTIONED), listed("billing_country", SANCTIONED),
    "ip_declines_10m >= 5", "(amount < 2 and card_small_tx_1h >= 3)", "card_fraud_90d > 0", "device_cards_1d >= 5",
])
ALLOW = f'({listed("customer", ["cus_trusted_0001", "cus_trusted_0002", "cus_vip_0003"])} and customer_chargebacks_90d == 0)'
REVIEW = " or ".join([
    "card_declines_1h >= 3",
    "(customer_tx_30d >= 3 and customer_avg_30d != null and amount > 5 * customer_avg_30d and amount > 200)",
    "customer_chargebacks_90d > 0",
])
CHALLENGE = " or ".join([
    "card_tx_10m >= 3",
    "(device_first_seen != null and device_first_seen < 3600 and customer_age != null and customer_age > 90 * 86400"
    " and amount > 300 and ip_country != null and billing_country != null and ip_country != billing_country)",
])
SCORE = " + ".join(f"({condition} ? {points} : 0)" for condition, points in [
    ("card_tx_1h >= 5", 30), ("card_amount_24h + amount > 2000", 25), ("device_cards_1d >= 3", 40),
    ("device_customers_7d >= 3", 30), ("card_emails_7d >= 3", 25), ("ip_cards_1h >= 4", 35),
    ("ip_country != null and card_country != null and card_country != ip_country", 25),
    (listed("ip_country", ["NG", "GH", "VN", "ID", "PK", "RO", "UA"]), 20),
    ("shipping_country != null and billing_country != null and shipping_country != billing_country", 15),
    (listed("email_domain", ["mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.dev", "trashmail.com",
                             "yopmail.com", "sharklasers.com", "getnada.com"]), 20),
    ("customer_age != null and customer_age < 86400 and amount > 500", 20),
    ('funding == "prepaid" and amount > 250', 15),
    (listed("mcc", ["5816", "5967", "7995"]), 10),
    ("customer_age != null and customer_age > 365 * 86400 and customer_tx_30d >= 2", -15),
])
SEVERITY = (f"({BLOCK}) ? 3 : (({ALLOW}) ? 0 : max([({REVIEW}) ? 2 : 0, ({CHALLENGE}) ? 1 : 0, "
            "score >= 80 ? 3 : (score >= 50 ? 2 : (score >= 35 ? 1 : 0))]))")


def main():
    path = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    contexts = load(path, rows)
    score_expression = zen.compile_expression(SCORE)
    severity_expression = zen.compile_expression(SEVERITY)

    def run():
        severities = []
        for context in contexts:
            context["score"] = score_expression.evaluate(context)
            severities.append(int(severity_expression.evaluate(context)))
        return severities

    run()  # warm-up
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        severities = run()
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    checksum = sum(severity * (i % 997 + 1) for i, severity in enumerate(severities))
    print(f"zen_rows={len(contexts)}")
    print(f"zen_seconds_median={seconds[1]:.6f}")
    print(f"zen_evals_per_second={len(contexts) / seconds[1]:.0f}")
    print(f"zen_checksum_first_{len(contexts)}={checksum}")


if __name__ == "__main__":
    main()
