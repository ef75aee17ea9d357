import Foundation
import Rules
import RulesIO

/// `tollgate-bench rules`: compile a rule file, evaluate it over generated
/// transactions with precomputed features on one core, and time compiling a
/// generated file of many rules. Prints `key=value` lines for benchmarks/run.
enum RulesBenchmark {
    static func run(rulesPath: String, count: Int, dataOut: String?, compileRules: Int, repetitions: Int) throws {
        let compiled = try RuleFiles.compile(path: rulesPath)
        guard let ruleSet = compiled.ruleSet else {
            for line in compiled.renderedDiagnostics() { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            throw BenchError("\(rulesPath) does not compile")
        }
        let transactions = BenchTransaction.generate(count: count, seed: 20_261_204)
        if let dataOut {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count * BenchTransaction.recordBytes)
            for t in transactions { t.appendRecord(to: &bytes) }
            try Data(bytes).write(to: URL(fileURLWithPath: dataOut))
        }
        let records = try transactions.map { try record(for: $0, in: ruleSet) }

        // Evaluate every record once per repetition on this thread; the median repetition counts.
        var evaluation = Evaluation()
        var secondsPerPass: [Double] = []
        var checksum: UInt64 = 0
        var actionCounts = [Int](repeating: 0, count: 4)
        for repetition in 0..<(repetitions + 1) {
            var passChecksum: UInt64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for (index, record) in records.enumerated() {
                ruleSet.evaluate(record, into: &evaluation)
                passChecksum &+= UInt64(evaluation.action.severity) &* UInt64(index % 997 + 1)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if repetition > 0 { secondsPerPass.append(seconds) }  // the first pass warms caches
            checksum = passChecksum
        }
        for record in records {
            ruleSet.evaluate(record, into: &evaluation)
            actionCounts[evaluation.action.severity] += 1
        }
        secondsPerPass.sort()
        let median = secondsPerPass[secondsPerPass.count / 2]
        print("rules_file=\(rulesPath)")
        print("rules=\(ruleSet.rules.count)")
        print("transactions=\(count)")
        print("swift_seconds_median=\(median)")
        print("swift_evals_per_second=\(Double(count) / median)")
        print("swift_checksum=\(checksum)")
        print("swift_actions=allow:\(actionCounts[0]),challenge:\(actionCounts[1]),review:\(actionCounts[2]),block:\(actionCounts[3])")

        // The same rules written by hand in Swift, over the same transactions.
        var handSeconds: [Double] = []
        var handChecksum: UInt64 = 0
        for repetition in 0..<(repetitions + 1) {
            var passChecksum: UInt64 = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for (index, transaction) in transactions.enumerated() {
                passChecksum &+= UInt64(HandWrittenRules.evaluate(transaction)) &* UInt64(index % 997 + 1)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if repetition > 0 { handSeconds.append(seconds) }
            handChecksum = passChecksum
        }
        handSeconds.sort()
        print("handwritten_swift_evals_per_second=\(Double(count) / handSeconds[handSeconds.count / 2])")
        print("handwritten_swift_checksum=\(handChecksum)")

        if compileRules > 0 {
            let source = SourceFile(path: "generated.rules", text: generatedRuleFile(rules: compileRules))
            var compileSeconds: [Double] = []
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                let result = RuleCompiler.compile(source)
                compileSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                guard result.ruleSet?.rules.count == compileRules else {
                    throw BenchError("generated file did not compile: \(result.renderedDiagnostics().prefix(3))")
                }
            }
            compileSeconds.sort()
            print("compile_rules=\(compileRules)")
            print("compile_bytes=\(source.bytes.count)")
            print("compile_seconds_median=\(compileSeconds[1])")
        }
    }

    static func record(for t: BenchTransaction, in ruleSet: RuleSet) throws -> FactRecord {
        let record = ruleSet.makeRecord()
        record.currencyExponent = 2
        func slot(_ name: String) throws -> Int {
            guard let slot = ruleSet.layout.slot(named: name) else { throw BenchError("the rule file does not read '\(name)'") }
            return slot.index
        }
        func string(_ name: String, _ value: String) throws { if !value.isEmpty { record.setString(try slot(name), value) } }
        func country(_ name: String, _ value: String) throws { if !value.isEmpty { record.setCountry(try slot(name), value) } }
        record.setMoney(try slot("amount"), scaledUnits: t.amount)
        try string("card", t.card)
        try string("customer", t.customer)
        try country("card.country", t.cardCountry)
        try country("ip.country", t.ipCountry)
        try country("billing.country", t.billingCountry)
        try country("shipping.country", t.shippingCountry)
        try string("email.domain", t.emailDomain)
        try string("card.funding", t.funding)
        try string("merchant.mcc", t.mcc)
        if t.customerAgeSeconds >= 0 { record.setDuration(try slot("customer.age"), seconds: t.customerAgeSeconds) }
        if t.deviceFirstSeenSeconds >= 0 { record.setDuration(try slot("device.first_seen"), seconds: t.deviceFirstSeenSeconds) }
        record.setMoney(try slot("card_amount_24h"), scaledUnits: t.cardAmount24h)
        if t.customerAvg30d != BenchTransaction.missingMoney { record.setMoney(try slot("customer_avg_30d"), scaledUnits: t.customerAvg30d) }
        let counts: [(String, Int32)] = [
            ("card_tx_10m", t.cardTx10m), ("card_tx_1h", t.cardTx1h), ("card_declines_1h", t.cardDeclines1h),
            ("card_small_tx_1h", t.cardSmallTx1h), ("card_fraud_90d", t.cardFraud90d), ("card_emails_7d", t.cardEmails7d),
            ("ip_declines_10m", t.ipDeclines10m), ("ip_cards_1h", t.ipCards1h), ("device_cards_1d", t.deviceCards1d),
            ("device_customers_7d", t.deviceCustomers7d), ("customer_tx_30d", t.customerTx30d),
            ("customer_chargebacks_90d", t.customerChargebacks90d),
        ]
        for (name, value) in counts { record.setInteger(try slot(name), Int64(value)) }
        return record
    }

    /// A file of `rules` rules of the shapes analysts write, over a few features and lists.
    static func generatedRuleFile(rules: Int) -> String {
        var text = """
        list risky = ["NG", "RU", "VN", "ID"]
        list domains = ["mailinator.com", "yopmail.com"]
        let card_tx_1h = count(payments by card over 1h)
        let ip_cards_1h = distinct(card by ip over 1h)
        let customer_avg_30d = avg(amount by customer over 30d)

        """
        let actions = ["block", "review", "challenge", "score +10", "score +25", "allow"]
        for i in 0..<rules {
            let action = actions[i % actions.count]
            let condition: String
            switch i % 5 {
            case 0: condition = "amount > \(i + 100).00 and card.country in @risky"
            case 1: condition = "card_tx_1h >= \(i + 2) and not is_missing(ip.country) and ip.country != card.country"
            case 2: condition = "email.domain in @domains or customer.age < \(i + 1)m"
            case 3: condition = "amount > \(i % 7 + 2) * (customer_avg_30d ?? 100.00) and ip_cards_1h > \(i + 1)"
            default: condition = "lower(card.brand) == \"visa\" and card.bin in [\"4\(i)\", \"5\(i)\"] and amount >= \(i % 300).50"
            }
            text += "rule r\(i): \(action) if \(condition)\n"
        }
        return text + "decide:\n  block if score >= 80\n  review if score >= 50\n  allow\n"
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
