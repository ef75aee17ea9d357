/* One generated transaction as written by `tollgate-bench rules --data-out`:
 * a fixed 192-byte little-endian record (see BenchTransaction.swift). */
#ifndef TOLLGATE_BENCH_TX_H
#define TOLLGATE_BENCH_TX_H
#include <stdint.h>

#define MISSING_MONEY INT64_MIN

typedef struct {
    int64_t amount;                /* 1/10,000 major units */
    int64_t customer_age;          /* seconds, -1 missing */
    int64_t device_first_seen;     /* seconds, -1 missing */
    int64_t card_amount_24h;       /* 1/10,000 major units */
    int64_t customer_avg_30d;      /* MISSING_MONEY when missing */
    int32_t card_tx_10m, card_tx_1h, card_declines_1h, card_small_tx_1h, card_fraud_90d, card_emails_7d;
    int32_t ip_declines_10m, ip_cards_1h, device_cards_1d, device_customers_7d, customer_tx_30d, customer_chargebacks_90d;
    int16_t card_country, ip_country, billing_country, shipping_country;  /* A..Z pairs packed 0..675, -1 missing */
    char card[24], customer[24], email_domain[24], funding[12], mcc[8];
    char padding[4];
} tx_t;

_Static_assert(sizeof(tx_t) == 192, "tx_t must match BenchTransaction.recordBytes");

#endif
