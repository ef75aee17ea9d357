import Foundation
import Risk
import Rules
import Testing
import TollgateCore
@testable import Batch

/// The batch scorer (columnar replay, parallel evaluation) must give every row
/// exactly what the online path gives when the same history is replayed one
/// payment at a time through `InMemoryCounterStore`: every feature value and
/// every decision, with delayed labels, filters, ties and unsorted input.
@Suite("Batch scoring equals online replay")
struct ReplayEquivalenceTests {
    static let source = """
    let card_tx_10m          = count(payments by card over 10m)
    let card_sum_1h          = sum(amount by card over 1h)
    let customer_avg_2h      = avg(amount by customer over 2h)
    let customer_avg_30d     = avg(amount by customer over 30d)
    let pair_min_30m         = min(amount by card, merchant over 30m)
    let merchant_max_24h     = max(amount by merchant over 24h)
    let ip_cards_1h          = distinct(card by ip over 1h)
    let card_big_1h          = count(payments by card over 1h where amount > 50.00)
    let merchant_fraud_3d    = count(payments by merchant over 3d where outcome == "fraud")
    let merchant_fraud_sum_40d = sum(amount by merchant over 40d where outcome == "fraud" and amount < 80.00)
    let ip_declines_1h       = count(payments by ip over 1h where outcome == "declined")
    let customer_tx_7d       = count(payments by customer over 7d)

    rule many_declines: block if ip_declines_1h >= 2
    rule busy_card:     block if card_tx_10m >= 3
    rule fraud_here:    review if merchant_fraud_3d >= 1
    rule spike:         challenge if customer_tx_7d >= 2 and amount > 2 * customer_avg_30d
    rule big_fraud:     score +30 if merchant_fraud_sum_40d > 100.00
    rule mixed:         score +20 if card_sum_1h > 150.00 or pair_min_30m < 5.00 or merchant_max_24h > 95.00
                                     or ip_cards_1h >= 2 or card_big_1h >= 2 or customer_avg_2h > 70.00
    decide:
      review if score >= 40
      allow
    """

    struct Row {
        var id: String, time: Int64, card: String?, customer: String, merchant: String, ip: String
        var amount: String, label: Bool, outcome: String?
    }

    static func randomRows(seed: UInt64, count: Int, withOutcomes: Bool) -> [Row] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_700_000_000
        var rows: [Row] = []
        for index in 0..<count {
            switch random.below(10) {
            case 0: break                                          // a tie
            case 1: time += Int64(random.below(3 * 86_400))        // past whole windows
            case 2: time += [599, 600, 601, 3_599, 3_600, 3_601][random.below(6)]
            default: time += Int64(random.below(400))
            }
            let amountCents = 100 + random.below(10_000)
            rows.append(Row(id: "r\(index)", time: time, card: random.chance(0.05) ? nil : "card\(random.below(12))",
                            customer: "cust\(random.below(8))", merchant: "m\(random.below(5))", ip: "10.0.0.\(random.below(6))",
                            amount: DecimalText.format(units: Int64(amountCents), scale: 2), label: random.chance(0.15),
                            outcome: withOutcomes ? (random.chance(0.3) ? "declined" : "authorized") : nil))
        }
        // Shuffle a little: the scorer must replay in time order, stable for ties.
        for _ in 0..<(count / 10) {
            let a = random.below(count), b = random.below(count)
            rows.swapAt(a, b)
        }
        return rows
    }

    static func csv(_ rows: [Row], withOutcomes: Bool) -> String {
        var text = "id,time,card,customer,merchant,ip,amount,fraud" + (withOutcomes ? ",outcome" : "") + "\n"
        for row in rows {
            text += "\(row.id),\(row.time),\(row.card ?? ""),\(row.customer),\(row.merchant),\(row.ip),\(row.amount),\(row.label ? 1 : 0)"
            if withOutcomes { text += ",\(row.outcome ?? "")" }
            text += "\n"
        }
        return text
    }

    /// The online path: one row at a time, in (time, input order), labels `delay` later.
    static func onlineReplay(_ rows: [Row], ruleSet: RuleSet, delay: Int64) -> (actions: [String], features: [[String]]) {
        let plan = CounterPlan(ruleSet: ruleSet)
        let store = InMemoryCounterStore()
        let order = rows.indices.sorted { rows[$0].time != rows[$1].time ? rows[$0].time < rows[$1].time : $0 < $1 }
        let layout = ruleSet.layout
        let outcomeSlot = layout.slot(named: "outcome")!.index
        func fill(_ record: FactRecord, _ row: Row) {
            record.reset()
            for (name, value) in [("card", row.card), ("customer", row.customer), ("merchant", row.merchant), ("ip", row.ip),
                                  ("amount", row.amount)] {
                if let value, let slot = layout.slot(named: name) { record.setParsing(slot.index, value) }
            }
        }
        var labelQueue: [(time: Int64, rank: Int)] = []
        for (rank, index) in order.enumerated() where rows[index].label { labelQueue.append((rows[index].time + delay, rank)) }
        var nextLabel = 0
        var actions = [String](repeating: "", count: rows.count)
        var features = [[String]](repeating: [], count: rows.count)
        let record = ruleSet.makeRecord(), labelRecord = ruleSet.makeRecord()
        for (rank, index) in order.enumerated() {
            let row = rows[index]
            while nextLabel < labelQueue.count,
                  labelQueue[nextLabel].time < row.time || (labelQueue[nextLabel].time == row.time && labelQueue[nextLabel].rank < rank) {
                fill(labelRecord, rows[order[labelQueue[nextLabel].rank]])
                labelRecord.setString(outcomeSlot, "fraud")
                store.recordOutcome(plan, from: labelRecord, at: labelQueue[nextLabel].time)
                nextLabel += 1
            }
            fill(record, row)
            store.readFeatures(plan, into: record, at: row.time)
            let evaluation = ruleSet.evaluate(record)
            actions[index] = evaluation.action.rawValue
            features[index] = ruleSet.featureNames.map { name in
                let value = record.value(layout.slot(named: name)!.index)
                if case .missing = value { return "" }
                return value.formatted()
            }
            record.setString(outcomeSlot, row.outcome ?? (evaluation.action == .block ? "declined" : "authorized"))
            store.recordEvent(plan, from: record, at: row.time)
        }
        return (actions, features)
    }

    /// (seed, outcome column mapped, label delay): a zero delay puts a label at its own payment's second.
    @Test("features and decisions equal the online replay",
          arguments: [(1, false, 3_600), (2, false, 3_600), (3, true, 3_600), (4, true, 86_400), (5, false, 0), (6, true, 0)])
    func equalsOnline(seed: UInt64, withOutcomes: Bool, delay: Int64) throws {
        let compiled = RuleCompiler.compile(SourceFile(path: "equivalence.rules", text: Self.source))
        let ruleSet = try #require(compiled.ruleSet, "\(compiled.diagnostics.map(\.message))")
        let rows = Self.randomRows(seed: seed, count: 3_000, withOutcomes: withOutcomes)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("equivalence-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(Self.csv(rows, withOutcomes: withOutcomes).utf8).write(to: file)
        var map = try ColumnMap.parse("id=id,time=time,card=card,customer=customer,merchant=merchant,ip=ip,amount=amount"
                                      + (withOutcomes ? ",outcome=outcome" : ""))
        try map.setLabel("fraud")
        let table = try TableLoader.load(path: file.path, map: map, defaultCurrency: .usd)
        #expect(table.rowCount == rows.count)
        #expect(table.wasReordered)
        var scorer = BatchScorer(ruleSet: ruleSet, labelDelaySeconds: delay)
        scorer.emitFeatures = true
        let batch = scorer.score(table)
        let online = Self.onlineReplay(rows, ruleSet: ruleSet, delay: delay)
        var mismatches: [String] = []
        for position in 0..<table.rowCount {
            let input = Int(table.rowNumbers[position]) - 1
            if batch.action(position).rawValue != online.actions[input] {
                mismatches.append("row \(input + 1): action \(batch.action(position)) vs online \(online.actions[input])")
            }
            for (feature, (got, want)) in zip(ruleSet.featureNames, zip(batch.featureTexts[position], online.features[input])) where got != want {
                mismatches.append("row \(input + 1): \(feature) = \(got) vs online \(want)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
        // The stream must exercise what it is meant to: labels, declines and every action.
        let actions = Set((0..<table.rowCount).map { batch.action($0) })
        #expect(actions.count >= 3, "actions seen: \(actions)")
    }
}
