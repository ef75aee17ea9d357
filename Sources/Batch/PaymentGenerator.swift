import Foundation
import TollgateCore

/// Seeded, labelled card-not-present payments for tests, demos and
/// benchmarks (`tollgate generate`): customers with their own cards, e-mails,
/// devices, home IPs and spending habits; merchants with categories and
/// countries; a daily and weekly rhythm; and five labelled fraud scenarios:
///
/// - `card_testing`: one IP and device tries many stolen cards with tiny amounts within minutes (mostly declined);
/// - `stolen_card_spree`: a stolen card used from a foreign IP and new device, several times within an hour;
/// - `account_takeover`: an established customer's account on a brand-new device from another country, with a new card, one large purchase;
/// - `device_farm`: one device pays with many different cards and customers over a day;
/// - `merchant_compromise`: for two days a merchant's payments are cloned cards of its customers, all fraud.
/// Cards used in fraud are never the victim's own token afterwards (issuers reissue them).
///
/// Same seed and options → byte-identical output.
public struct PaymentGenerator {
    public struct Options: Sendable {
        public var rows = 10_000
        public var seed: UInt64 = 1
        public var startEpochSeconds: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
        public var days = 30
        public var customers = 2_000
        public var merchants = 300
        /// Share of rows that belong to a fraud scenario (approximately).
        public var fraudShare = 0.01
        public init() {}
    }

    public static let header = "id,time,amount,currency,customer,email,card,card_bin,card_country,ip,ip_country,device,merchant,mcc,merchant_country,billing_country,outcome,is_fraud,scenario"

    /// The `--columns` map that reads this generator's files.
    public static let columnMap = "id=id,time=time,amount=amount,currency=currency,customer=customer,customer.email=email,card=card,card.bin=card_bin,card.country=card_country,ip=ip,ip.country=ip_country,device=device,merchant=merchant,merchant.mcc=mcc,merchant.country=merchant_country,billing.country=billing_country,outcome=outcome"

    private struct Customer {
        let id: String, email: String, country: String, card: String, bin: String, ip: String, device: String
        let meanAmountCents: Int64
    }

    private struct Merchant {
        let id: String, mcc: String, country: String
    }

    private struct Payment {
        var time: Int64
        var amountCents: Int64
        var customer: String, email: String, card: String, bin: String, cardCountry: String
        var ip: String, ipCountry: String, device: String
        var merchant: Merchant
        var billingCountry: String
        var outcome: String
        var scenario: String
    }

    static let countries = ["US", "US", "US", "GB", "DE", "FR", "NL", "ES", "IT", "CA", "SE", "PL"]
    static let riskyCountries = ["NG", "VN", "ID", "RO", "UA", "BR"]
    static let mccs = ["5411", "5732", "5812", "5999", "4121", "5816", "5967", "7995", "5311", "4722"]
    static let bins = ["411111", "424242", "510510", "555555", "378282", "601111", "400005", "520082"]
    /// Relative payment volume per hour of the day (UTC), low at night.
    static let hourWeights: [Double] = [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 10, 9, 9, 9, 9, 10, 11, 11, 10, 8, 5, 3]

    public static func write(options: Options, to path: String) throws(BatchError) {
        let writer = try FileWriter(path: path)
        writer.append(header + "\n")
        var index = 0
        generate(options: options) { line in
            index += 1
            writer.append(line)
            writer.append("\n")
        }
        try writer.close()
    }

    /// Calls `emit` with each CSV line (no header), in time order.
    public static func generate(options: Options, emit: (String) -> Void) {
        var random = SeededRandom(seed: options.seed)
        let customers = (0..<max(1, options.customers)).map { makeCustomer($0, &random) }
        let merchants = (0..<max(1, options.merchants)).map { index in
            Merchant(id: "m_\(index)", mcc: mccs[random.below(mccs.count)], country: countries[random.below(countries.count)])
        }
        let totalSeconds = Int64(max(1, options.days)) * 86_400
        var payments: [Payment] = []
        payments.reserveCapacity(options.rows + 64)
        let fraudTarget = Int(Double(options.rows) * options.fraudShare)
        var fraudRows = 0
        // Fraud scenarios first (each a burst of rows), then legitimate traffic to fill up.
        while fraudRows < fraudTarget {
            let start = options.startEpochSeconds + Int64(random.below(Int(totalSeconds)))
            let burst = makeScenario(&random, start: start, customers: customers, merchants: merchants)
            fraudRows += burst.count
            payments.append(contentsOf: burst)
        }
        while payments.count < options.rows {
            let customer = customers[min(customers.count - 1, Int(pow(random.unit(), 1.6) * Double(customers.count)))]
            let merchant = merchants[min(merchants.count - 1, Int(pow(random.unit(), 1.3) * Double(merchants.count)))]
            let time = options.startEpochSeconds + legitimateSecond(&random, days: options.days)
            var amount = Int64(Double(customer.meanAmountCents) * (0.4 + 1.2 * random.unit()))
            if random.chance(0.02) { amount *= 3 }
            let declined = random.chance(0.015)
            payments.append(Payment(time: time, amountCents: max(50, amount), customer: customer.id, email: customer.email,
                                    card: customer.card, bin: customer.bin, cardCountry: customer.country,
                                    ip: random.chance(0.9) ? customer.ip : randomIP(&random), ipCountry: customer.country,
                                    device: random.chance(0.95) ? customer.device : "d_\(random.next() % 1_000_000_000)",
                                    merchant: merchant, billingCountry: customer.country,
                                    outcome: declined ? "declined" : "authorized", scenario: ""))
        }
        if payments.count > options.rows { payments.removeLast(payments.count - options.rows) }
        payments.sort { $0.time < $1.time }
        for (index, payment) in payments.enumerated() {
            let amount = DecimalText.format(units: payment.amountCents, scale: 2)
            let isFraud = payment.scenario.isEmpty ? "0" : "1"
            let iso = isoTime(payment.time)
            emit("tx_\(index + 1),\(iso),\(amount),USD,\(payment.customer),\(payment.email),\(payment.card),\(payment.bin),\(payment.cardCountry),\(payment.ip),\(payment.ipCountry),\(payment.device),\(payment.merchant.id),\(payment.merchant.mcc),\(payment.merchant.country),\(payment.billingCountry),\(payment.outcome),\(isFraud),\(payment.scenario)")
        }
    }

    private static func makeCustomer(_ index: Int, _ random: inout SeededRandom) -> Customer {
        let country = countries[random.below(countries.count)]
        let domains = ["example.com", "mail.example", "inbox.example", "post.example"]
        return Customer(id: "c_\(index)", email: "user\(index)@\(domains[random.below(domains.count)])", country: country,
                        card: cardToken(&random), bin: bins[random.below(bins.count)], ip: randomIP(&random),
                        device: "d_\(random.next() % 1_000_000_000)", meanAmountCents: Int64(1_000 + random.below(15_000)))
    }

    private static func makeScenario(_ random: inout SeededRandom, start: Int64, customers: [Customer], merchants: [Merchant]) -> [Payment] {
        let merchant = merchants[random.below(merchants.count)]
        let foreign = riskyCountries[random.below(riskyCountries.count)]
        switch random.below(5) {
        case 0:  // card testing: many cards, tiny amounts, one IP and device, minutes apart
            let ip = randomIP(&random), device = "d_\(random.next() % 1_000_000_000)"
            return (0..<(8 + random.below(20))).map { step in
                Payment(time: start + Int64(step * (5 + random.below(40))), amountCents: Int64(50 + random.below(150)),
                        customer: "c_guest_\(random.next() % 1_000_000)", email: "guest\(random.next() % 100_000)@temp.example",
                        card: cardToken(&random), bin: bins[random.below(bins.count)], cardCountry: countries[random.below(countries.count)],
                        ip: ip, ipCountry: foreign, device: device, merchant: merchant, billingCountry: countries[random.below(countries.count)],
                        outcome: random.chance(0.8) ? "declined" : "authorized", scenario: "card_testing")
            }
        case 1:  // stolen card spree: one stolen card (its owner gets a new one), foreign IP, new device, several buys within an hour
            let victim = customers[random.below(customers.count)]
            let stolenCard = cardToken(&random)
            let ip = randomIP(&random), device = "d_\(random.next() % 1_000_000_000)"
            return (0..<(3 + random.below(6))).map { step in
                Payment(time: start + Int64(step * (60 + random.below(600))), amountCents: victim.meanAmountCents * Int64(2 + random.below(4)),
                        customer: "c_guest_\(random.next() % 1_000_000)", email: "buyer\(random.next() % 100_000)@temp.example",
                        card: stolenCard, bin: victim.bin, cardCountry: victim.country, ip: ip, ipCountry: foreign, device: device,
                        merchant: merchants[random.below(merchants.count)], billingCountry: victim.country,
                        outcome: "authorized", scenario: "stolen_card_spree")
            }
        case 2:  // account takeover: the customer's own account, a card the attacker added, new device, other country, one large buy
            let victim = customers[random.below(customers.count)]
            return [Payment(time: start, amountCents: victim.meanAmountCents * Int64(6 + random.below(10)), customer: victim.id,
                            email: victim.email, card: cardToken(&random), bin: bins[random.below(bins.count)], cardCountry: foreign,
                            ip: randomIP(&random), ipCountry: foreign, device: "d_\(random.next() % 1_000_000_000)",
                            merchant: merchant, billingCountry: victim.country, outcome: "authorized", scenario: "account_takeover")]
        case 3:  // device farm: one device, many cards and customers over a day
            let device = "d_\(random.next() % 1_000_000_000)", ip = randomIP(&random)
            return (0..<(6 + random.below(10))).map { _ in
                Payment(time: start + Int64(random.below(86_400)), amountCents: Int64(2_000 + random.below(20_000)),
                        customer: "c_guest_\(random.next() % 1_000_000)", email: "farm\(random.next() % 100_000)@temp.example",
                        card: cardToken(&random), bin: bins[random.below(bins.count)], cardCountry: countries[random.below(countries.count)],
                        ip: ip, ipCountry: foreign, device: device, merchant: merchants[random.below(merchants.count)],
                        billingCountry: countries[random.below(countries.count)], outcome: "authorized", scenario: "device_farm")
            }
        default:  // merchant compromise: for two days the merchant's payments are cloned cards, all fraud
            return (0..<(10 + random.below(20))).map { _ in
                let victim = customers[random.below(customers.count)]
                return Payment(time: start + Int64(random.below(2 * 86_400)), amountCents: victim.meanAmountCents,
                               customer: victim.id, email: victim.email, card: cardToken(&random), bin: victim.bin, cardCountry: victim.country,
                               ip: victim.ip, ipCountry: victim.country, device: victim.device, merchant: merchant,
                               billingCountry: victim.country, outcome: "authorized", scenario: "merchant_compromise")
            }
        }
    }

    /// A second within the period, weighted by hour of day and lighter on weekends.
    private static func legitimateSecond(_ random: inout SeededRandom, days: Int) -> Int64 {
        let totalWeight = hourWeights.reduce(0, +)
        while true {
            let day = random.below(max(1, days))
            // 2026-01-01 is a Thursday: day 2 and 3 of each week are the weekend.
            if (day % 7 == 2 || day % 7 == 3) && random.chance(0.3) { continue }
            var pick = random.unit() * totalWeight
            var hour = 0
            while hour < 23 && pick >= hourWeights[hour] { pick -= hourWeights[hour]; hour += 1 }
            return Int64(day * 86_400 + hour * 3_600 + random.below(3_600))
        }
    }

    private static func cardToken(_ random: inout SeededRandom) -> String {
        "card_" + String(random.next() % 0xFFFF_FFFF_FFFF, radix: 16)
    }

    private static func randomIP(_ random: inout SeededRandom) -> String {
        "\(11 + random.below(200)).\(random.below(256)).\(random.below(256)).\(1 + random.below(254))"
    }

    static func isoTime(_ epochSeconds: Int64) -> String {
        let day = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let second = epochSeconds - day * 86_400
        func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(TimeText.dateText(day: day))T\(pad(second / 3_600)):\(pad(second % 3_600 / 60)):\(pad(second % 60))Z"
    }
}
