/// rules/default.rules written by hand in plain Swift over the generated
/// transactions, as a developer would without a rules engine: the longer-term
/// target for the engine (the C version in benchmarks/rules is the ceiling).
/// Same semantics, checked by the same decision checksum.
enum HandWrittenRules {
    static let blockedCards: Set<String> = ["fp_4f1c2a9e7b3d5f60", "fp_9a8b7c6d5e4f3a2b", "fp_0123456789abcdef"]
    static let disposableDomains: Set<String> = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.dev",
                                                 "trashmail.com", "yopmail.com", "sharklasers.com", "getnada.com"]
    static let trustedCustomers: Set<String> = ["cus_trusted_0001", "cus_trusted_0002", "cus_vip_0003"]
    static let highRiskMccs: Set<String> = ["5816", "5967", "7995"]
    static let sanctioned: Set<String> = ["CU", "IR", "KP", "SY"]
    static let highRiskCountries: Set<String> = ["NG", "GH", "VN", "ID", "PK", "RO", "UA"]

    static func money(_ major: Int64) -> Int64 { major * 10_000 }

    /// Severity: 0 allow, 1 challenge, 2 review, 3 block.
    static func evaluate(_ t: BenchTransaction) -> Int {
        var block = false, allow = false, strongest = 0, score = 0
        if blockedCards.contains(t.card) { block = true }
        if sanctioned.contains(t.ipCountry) || sanctioned.contains(t.billingCountry) { block = true }
        if t.ipDeclines10m >= 5 { block = true }
        if t.amount < money(2) && t.cardSmallTx1h >= 3 { block = true }
        if t.cardFraud90d > 0 { block = true }
        if t.deviceCards1d >= 5 { block = true }
        if t.cardDeclines1h >= 3 { strongest = max(strongest, 2) }
        if t.cardTx10m >= 3 { strongest = max(strongest, 1) }
        if t.customerTx30d >= 3, t.customerAvg30d != BenchTransaction.missingMoney, t.amount > 5 * t.customerAvg30d, t.amount > money(200) {
            strongest = max(strongest, 2)
        }
        if t.deviceFirstSeenSeconds >= 0, t.deviceFirstSeenSeconds < 3_600, t.customerAgeSeconds > 90 * 86_400, t.amount > money(300),
           !t.ipCountry.isEmpty, !t.billingCountry.isEmpty, t.ipCountry != t.billingCountry {
            strongest = max(strongest, 1)
        }
        if t.customerChargebacks90d > 0 { strongest = max(strongest, 2) }
        if t.cardTx1h >= 5 { score += 30 }
        if t.cardAmount24h + t.amount > money(2_000) { score += 25 }
        if t.deviceCards1d >= 3 { score += 40 }
        if t.deviceCustomers7d >= 3 { score += 30 }
        if t.cardEmails7d >= 3 { score += 25 }
        if t.ipCards1h >= 4 { score += 35 }
        if !t.ipCountry.isEmpty, !t.cardCountry.isEmpty, t.cardCountry != t.ipCountry { score += 25 }
        if highRiskCountries.contains(t.ipCountry) { score += 20 }
        if !t.shippingCountry.isEmpty, !t.billingCountry.isEmpty, t.shippingCountry != t.billingCountry { score += 15 }
        if disposableDomains.contains(t.emailDomain) { score += 20 }
        if t.customerAgeSeconds >= 0, t.customerAgeSeconds < 86_400, t.amount > money(500) { score += 20 }
        if t.funding == "prepaid", t.amount > money(250) { score += 15 }
        if highRiskMccs.contains(t.mcc) { score += 10 }
        if t.customerAgeSeconds > 365 * 86_400, t.customerTx30d >= 2 { score -= 15 }
        if trustedCustomers.contains(t.customer), t.customerChargebacks90d == 0 { allow = true }
        if block { return 3 }
        if allow { return 0 }
        let decided = score >= 80 ? 3 : score >= 50 ? 2 : score >= 35 ? 1 : 0
        return max(decided, strongest)
    }
}
