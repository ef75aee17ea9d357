/* rules/default.rules written by hand in C: the practical ceiling for the
 * rules benchmark. Same data (read from the file tollgate-bench writes), same
 * semantics: a comparison with a missing value is false; a block rule wins,
 * then an allow rule, then the strictest of review/challenge rules and the
 * score thresholds. Shadow rules are evaluated and counted, never act.
 *   usage: default_rules DATA_FILE [REPETITIONS]
 * Prints c_evals_per_second=, c_checksum= and c_actions= lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tx.h"

#define CC(a, b) ((int16_t)(((a) - 'A') * 26 + ((b) - 'A')))

enum { ALLOW = 0, CHALLENGE = 1, REVIEW = 2, BLOCK = 3 };

static const char *blocked_cards[] = {"fp_4f1c2a9e7b3d5f60", "fp_9a8b7c6d5e4f3a2b", "fp_0123456789abcdef"};
static const char *disposable_domains[] = {"mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.dev",
                                           "trashmail.com", "yopmail.com", "sharklasers.com", "getnada.com"};
static const char *trusted_customers[] = {"cus_trusted_0001", "cus_trusted_0002", "cus_vip_0003"};
static const char *high_risk_mccs[] = {"5816", "5967", "7995"};

static int in_list(const char *value, const char **list, int n) {
    if (!value[0]) return 0; /* missing */
    for (int i = 0; i < n; i++) if (strcmp(value, list[i]) == 0) return 1;
    return 0;
}

static int sanctioned(int16_t c) { return c == CC('C','U') || c == CC('I','R') || c == CC('K','P') || c == CC('S','Y'); }
static int high_risk_country(int16_t c) {
    return c == CC('N','G') || c == CC('G','H') || c == CC('V','N') || c == CC('I','D') || c == CC('P','K') || c == CC('R','O') || c == CC('U','A');
}

#define MONEY(major, cents) ((int64_t)(major) * 10000 + (int64_t)(cents) * 100)

static int evaluate(const tx_t *t, long *shadow_fired) {
    int block = 0, allow = 0, strongest = ALLOW, score = 0;
    /* hard stops */
    if (in_list(t->card, blocked_cards, 3)) block = 1;
    if ((t->ip_country >= 0 && sanctioned(t->ip_country)) || (t->billing_country >= 0 && sanctioned(t->billing_country))) block = 1;
    if (t->ip_declines_10m >= 5) block = 1;
    if (t->amount < MONEY(2, 0) && t->card_small_tx_1h >= 3) block = 1;
    if (t->card_fraud_90d > 0) block = 1;
    if (t->device_cards_1d >= 5) block = 1;
    /* friction and review */
    if (t->card_declines_1h >= 3 && strongest < REVIEW) strongest = REVIEW;
    if (t->card_tx_10m >= 3 && strongest < CHALLENGE) strongest = CHALLENGE;
    if (t->customer_tx_30d >= 3 && t->customer_avg_30d != MISSING_MONEY && t->amount > 5 * t->customer_avg_30d && t->amount > MONEY(200, 0)
        && strongest < REVIEW) strongest = REVIEW;
    if (t->device_first_seen >= 0 && t->device_first_seen < 3600 && t->customer_age >= 0 && t->customer_age > 90 * 86400
        && t->amount > MONEY(300, 0) && t->ip_country >= 0 && t->billing_country >= 0 && t->ip_country != t->billing_country
        && strongest < CHALLENGE) strongest = CHALLENGE;
    if (t->customer_chargebacks_90d > 0 && strongest < REVIEW) strongest = REVIEW;
    /* score points */
    if (t->card_tx_1h >= 5) score += 30;
    if (t->card_amount_24h + t->amount > MONEY(2000, 0)) score += 25;
    if (t->device_cards_1d >= 3) score += 40;
    if (t->device_customers_7d >= 3) score += 30;
    if (t->card_emails_7d >= 3) score += 25;
    if (t->ip_cards_1h >= 4) score += 35;
    if (t->ip_country >= 0 && t->card_country >= 0 && t->card_country != t->ip_country) score += 25;
    if (t->ip_country >= 0 && high_risk_country(t->ip_country)) score += 20;
    if (t->shipping_country >= 0 && t->billing_country >= 0 && t->shipping_country != t->billing_country) score += 15;
    if (in_list(t->email_domain, disposable_domains, 8)) score += 20;
    if (t->customer_age >= 0 && t->customer_age < 86400 && t->amount > MONEY(500, 0)) score += 20;
    if (strcmp(t->funding, "prepaid") == 0 && t->amount > MONEY(250, 0)) score += 15;
    if (in_list(t->mcc, high_risk_mccs, 3)) score += 10;
    if (t->customer_age >= 0 && t->customer_age > 365 * 86400 && t->customer_tx_30d >= 2) score -= 15;
    /* trust */
    if (in_list(t->customer, trusted_customers, 3) && t->customer_chargebacks_90d == 0) allow = 1;
    /* shadow */
    if (t->card_tx_1h > 10) (*shadow_fired)++;

    if (block) return BLOCK;
    if (allow) return ALLOW;
    int decided = score >= 80 ? BLOCK : score >= 50 ? REVIEW : score >= 35 ? CHALLENGE : ALLOW;
    return decided > strongest ? decided : strongest;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s DATA_FILE [REPETITIONS]\n", argv[0]); return 2; }
    int repetitions = argc > 2 ? atoi(argv[2]) : 5;
    if (repetitions < 1 || repetitions > 100) repetitions = 5;
    FILE *file = fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 1; }
    fseek(file, 0, SEEK_END);
    long bytes = ftell(file);
    fseek(file, 0, SEEK_SET);
    size_t count = (size_t)bytes / sizeof(tx_t);
    tx_t *transactions = malloc(count * sizeof(tx_t));
    if (!transactions || fread(transactions, sizeof(tx_t), count, file) != count) { fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
    fclose(file);

    double seconds[101];
    unsigned long long checksum = 0;
    long shadow = 0;
    for (int r = 0; r <= repetitions; r++) {
        unsigned long long sum = 0;
        double start = now_seconds();
        for (size_t i = 0; i < count; i++) sum += (unsigned long long)evaluate(&transactions[i], &shadow) * (i % 997 + 1);
        seconds[r] = now_seconds() - start;
        checksum = sum;
    }
    qsort(seconds + 1, repetitions, sizeof(double), compare_doubles);  /* pass 0 warms caches */
    double median = seconds[1 + repetitions / 2];
    long actions[4] = {0, 0, 0, 0};
    unsigned long long checksum_prefix = 0;  /* over the first 100,000 rows, for the zen-engine cross-check */
    for (size_t i = 0; i < count; i++) {
        int action = evaluate(&transactions[i], &shadow);
        actions[action]++;
        if (i < 100000) checksum_prefix += (unsigned long long)action * (i % 997 + 1);
    }
    printf("c_checksum_first_100000=%llu\n", checksum_prefix);
    printf("c_seconds_median=%.6f\n", median);
    printf("c_evals_per_second=%.0f\n", count / median);
    printf("c_checksum=%llu\n", checksum);
    printf("c_actions=allow:%ld,challenge:%ld,review:%ld,block:%ld\n", actions[ALLOW], actions[CHALLENGE], actions[REVIEW], actions[BLOCK]);
    free(transactions);
    return 0;
}
