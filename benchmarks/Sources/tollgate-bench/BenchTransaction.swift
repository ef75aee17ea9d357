import TollgateCore

/// One generated card-not-present payment with precomputed velocity features:
/// the facts `rules/default.rules` reads. Also written as a fixed 192-byte
/// record (`benchmarks/rules/tx.h`) so the C and Python baselines score the
/// very same data.
struct BenchTransaction {
    static let recordBytes = 192
    static let missingMoney = Int64.min

    var amount: Int64 = 0                    // 1/10,000 major units (USD)
    var customerAgeSeconds: Int64 = -1       // -1 = missing
    var deviceFirstSeenSeconds: Int64 = -1   // -1 = missing
    var cardAmount24h: Int64 = 0             // 1/10,000 major units
    var customerAvg30d: Int64 = missingMoney
    var cardTx10m: Int32 = 0, cardTx1h: Int32 = 0, cardDeclines1h: Int32 = 0, cardSmallTx1h: Int32 = 0
    var cardFraud90d: Int32 = 0, cardEmails7d: Int32 = 0, ipDeclines10m: Int32 = 0, ipCards1h: Int32 = 0
    var deviceCards1d: Int32 = 0, deviceCustomers7d: Int32 = 0, customerTx30d: Int32 = 0, customerChargebacks90d: Int32 = 0
    var cardCountry = "", ipCountry = "", billingCountry = "", shippingCountry = ""  // "" = missing
    var card = "", customer = "", emailDomain = "", funding = "", mcc = ""

    static func generate(count: Int, seed: UInt64) -> [BenchTransaction] {
        var random = SeededRandom(seed: seed)
        let countries = ["US", "US", "US", "US", "GB", "DE", "FR", "CA", "BR", "IN", "NG", "VN", "RO", "ES", "IT", "JP"]
        let blockedCards = ["fp_4f1c2a9e7b3d5f60", "fp_9a8b7c6d5e4f3a2b", "fp_0123456789abcdef"]
        let domains = ["gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me"]
        let disposable = ["mailinator.com", "yopmail.com", "trashmail.com"]
        let mccs = ["5411", "5732", "5999", "5812", "5816", "5967", "7995"]
        var transactions: [BenchTransaction] = []
        transactions.reserveCapacity(count)
        for _ in 0..<count {
            var t = BenchTransaction()
            // Amounts: mostly baskets of 5–150.00, a tail of big tickets and of sub-2.00 probes.
            let cents: Int64
            if random.chance(0.02) { cents = Int64(50 + random.below(150)) }
            else if random.chance(0.05) { cents = Int64(30_000 + random.below(200_000)) }
            else { cents = Int64(500 + random.below(14_500)) }
            t.amount = cents * 100
            t.card = random.chance(0.001) ? blockedCards[random.below(3)] : "fp_" + String(random.below(1 << 40), radix: 16)
            t.customer = random.chance(0.002) ? "cus_trusted_000\(1 + random.below(2))" : "cus_\(random.below(100_000))"
            t.cardCountry = countries[random.below(countries.count)]
            if !random.chance(0.1) {
                if random.chance(0.0005) { t.ipCountry = ["KP", "IR", "SY", "CU"][random.below(4)] }
                else { t.ipCountry = random.chance(0.85) ? t.cardCountry : countries[random.below(countries.count)] }
            }
            if random.chance(0.8) { t.billingCountry = random.chance(0.95) ? t.cardCountry : countries[random.below(countries.count)] }
            if random.chance(0.6) { t.shippingCountry = random.chance(0.9) ? (t.billingCountry.isEmpty ? t.cardCountry : t.billingCountry) : countries[random.below(countries.count)] }
            if !random.chance(0.1) { t.emailDomain = random.chance(0.01) ? disposable[random.below(3)] : domains[random.below(domains.count)] }
            t.funding = random.chance(0.08) ? "prepaid" : (random.chance(0.5) ? "credit" : "debit")
            t.mcc = mccs[random.below(mccs.count)]
            if !random.chance(0.05) { t.customerAgeSeconds = random.chance(0.03) ? Int64(random.below(86_400)) : Int64(random.below(3 * 365 * 86_400)) }
            if !random.chance(0.2) { t.deviceFirstSeenSeconds = random.chance(0.05) ? Int64(random.below(3_600)) : Int64(random.below(400 * 86_400)) }
            t.cardTx10m = random.tailCount(mean: 0.2, tail: 0.01, tailMax: 5)
            t.cardTx1h = t.cardTx10m + random.tailCount(mean: 0.5, tail: 0.01, tailMax: 10)
            t.cardAmount24h = Int64(t.cardTx1h + random.tailCount(mean: 1, tail: 0.02, tailMax: 10)) * Int64(2_000 + random.below(30_000)) * 100
            t.cardDeclines1h = random.tailCount(mean: 0.05, tail: 0.005, tailMax: 4)
            t.cardSmallTx1h = random.tailCount(mean: 0.02, tail: 0.005, tailMax: 4)
            t.cardFraud90d = random.chance(0.002) ? 1 : 0
            t.cardEmails7d = 1 + random.tailCount(mean: 0.05, tail: 0.003, tailMax: 4)
            t.ipDeclines10m = random.tailCount(mean: 0.05, tail: 0.003, tailMax: 8)
            t.ipCards1h = 1 + random.tailCount(mean: 0.1, tail: 0.005, tailMax: 6)
            t.deviceCards1d = 1 + random.tailCount(mean: 0.1, tail: 0.004, tailMax: 6)
            t.deviceCustomers7d = 1 + random.tailCount(mean: 0.05, tail: 0.004, tailMax: 5)
            t.customerTx30d = random.tailCount(mean: 3, tail: 0.05, tailMax: 30)
            if t.customerTx30d > 0 { t.customerAvg30d = Int64(1_000 + random.below(20_000)) * 100 }
            t.customerChargebacks90d = random.chance(0.003) ? 1 : 0
            transactions.append(t)
        }
        return transactions
    }

    /// The fixed little-endian record of benchmarks/rules/tx.h.
    func appendRecord(to bytes: inout [UInt8]) {
        func int64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func int32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func int16(_ v: Int16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func country(_ c: String) { int16(c.isEmpty ? -1 : Int16((Int(c.utf8.first! - 65) * 26) + Int(c.utf8.last! - 65))) }
        func text(_ s: String, _ width: Int) {
            let utf8 = Array(s.utf8.prefix(width - 1))
            bytes.append(contentsOf: utf8)
            bytes.append(contentsOf: [UInt8](repeating: 0, count: width - utf8.count))
        }
        let start = bytes.count
        int64(amount); int64(customerAgeSeconds); int64(deviceFirstSeenSeconds); int64(cardAmount24h); int64(customerAvg30d)
        for v in [cardTx10m, cardTx1h, cardDeclines1h, cardSmallTx1h, cardFraud90d, cardEmails7d, ipDeclines10m, ipCards1h,
                  deviceCards1d, deviceCustomers7d, customerTx30d, customerChargebacks90d] { int32(v) }
        country(cardCountry); country(ipCountry); country(billingCountry); country(shippingCountry)
        text(card, 24); text(customer, 24); text(emailDomain, 24); text(funding, 12); text(mcc, 8)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: BenchTransaction.recordBytes - (bytes.count - start)))
        precondition(bytes.count - start == BenchTransaction.recordBytes)
    }
}
