import Foundation
import Risk
import Rules
import Testing
import TollgateCore

/// After a restart the in-memory counters are rebuilt from stored payments
/// and outcomes; every feature must read as it did before the restart, and
/// outcome feedback (declines, chargebacks) must count online.
@Suite("Counter rebuild and outcome feedback")
struct CounterRebuildTests {
    static let source = """
    let card_tx_1h          = count(payments by card over 1h)
    let card_declines_1h    = count(payments by card over 1h where outcome == "declined")
    let card_chargebacks_30d = count(payments by card over 30d where outcome in ["chargeback", "fraud"])
    let customer_avg_7d     = avg(amount by customer over 7d)
    let ip_cards_1d         = distinct(card by ip over 1d)
    rule r: review if card_tx_1h > 100 and card_declines_1h > 0 and card_chargebacks_30d > 0
                      and customer_avg_7d > 0 and ip_cards_1d > 0
    """

    static func events(seed: UInt64) -> [CounterEvent] {
        var random = SeededRandom(seed: seed)
        var time: Int64 = 1_700_000_000
        var events: [CounterEvent] = []
        var pending: [(Int64, [String: String], String)] = []
        for _ in 0..<2_000 {
            time += Int64(random.below(3_600))
            // Outcomes that are due arrive before the next payment.
            pending.sort { $0.0 < $1.0 }
            while let first = pending.first, first.0 <= time {
                events.append(CounterEvent(kind: .outcome, time: first.0, facts: first.1, outcome: first.2))
                pending.removeFirst()
            }
            let facts = ["card": "card\(random.below(20))", "customer": "cust\(random.below(10))", "ip": "ip\(random.below(5))",
                         "amount": DecimalText.format(units: Int64(100 + random.below(50_000)), scale: 2)]
            events.append(CounterEvent(kind: .payment, time: time, facts: facts, outcome: random.chance(0.2) ? "declined" : "authorized"))
            if random.chance(0.05) { pending.append((time + Int64(random.below(10 * 86_400)), facts, random.chance(0.5) ? "chargeback" : "fraud")) }
        }
        return events
    }

    @Test("a rebuilt store reads exactly like the live one", arguments: [CounterStoreKind.memory, CounterStoreKind.redis])
    func rebuildEqualsLive(kind: CounterStoreKind) throws {
        let ruleSet = try #require(RuleCompiler.compile(SourceFile(path: "rebuild.rules", text: Self.source)).ruleSet)
        let plan = CounterPlan(ruleSet: ruleSet)
        let events = Self.events(seed: 11)
        guard let live = try kind.makeStore(), let rebuilt = try kind.makeStore() else { return }
        CounterRebuild.replay(events, into: live, plan: plan, ruleSet: ruleSet)
        let now = events.last!.time + 60
        // Only what the longest window can still see is replayed after the "restart".
        let from = CounterRebuild.replayFrom(now: now, plan: plan)
        let recent = events.filter { $0.time > from }
        #expect(recent.count < events.count, "the replay must start later than the history")
        CounterRebuild.replay(recent, into: rebuilt, plan: plan, ruleSet: ruleSet)
        var probes = 0, nonZero = 0
        for card in 0..<20 {
            for customer in 0..<10 {
                let a = ruleSet.makeRecord(), b = ruleSet.makeRecord()
                for record in [a, b] {
                    record.setParsing(ruleSet.layout.slot(named: "card")!.index, "card\(card)")
                    record.setParsing(ruleSet.layout.slot(named: "customer")!.index, "cust\(customer)")
                    record.setParsing(ruleSet.layout.slot(named: "ip")!.index, "ip\(card % 5)")
                }
                live.readFeatures(plan, into: a, at: now)
                rebuilt.readFeatures(plan, into: b, at: now)
                for feature in plan.features {
                    #expect(a.value(feature.slot) == b.value(feature.slot), "\(feature.name) for card\(card)/cust\(customer)")
                    if case .integer(let value) = a.value(feature.slot), value > 0 { nonZero += 1 }
                    probes += 1
                }
            }
        }
        #expect(probes == 1_000)
        #expect(nonZero > 100, "the probes must see real counts")
    }

    @Test("outcomes fed back online count only in features that filter on them", arguments: [CounterStoreKind.memory, CounterStoreKind.redis])
    func outcomeFeedback(kind: CounterStoreKind) throws {
        let ruleSet = try #require(RuleCompiler.compile(SourceFile(path: "feedback.rules", text: Self.source)).ruleSet)
        let plan = CounterPlan(ruleSet: ruleSet)
        guard let store = try kind.makeStore() else { return }
        let record = ruleSet.makeRecord()
        func slot(_ name: String) -> Int { ruleSet.layout.slot(named: name)!.index }
        func read(at time: Int64) -> (tx: Value, declines: Value, chargebacks: Value) {
            record.reset()
            record.setString(slot("card"), "c1")
            store.readFeatures(plan, into: record, at: time)
            return (record.value(slot("card_tx_1h")), record.value(slot("card_declines_1h")), record.value(slot("card_chargebacks_30d")))
        }
        record.reset()
        record.setString(slot("card"), "c1")
        record.setString(slot("outcome"), "declined")
        store.recordEvent(plan, from: record, at: 1_000)          // a payment the issuer declined
        #expect(read(at: 1_001) == (.integer(1), .integer(1), .integer(0)))
        record.setString(slot("outcome"), "chargeback")
        store.recordOutcome(plan, from: record, at: 5_000)        // its chargeback arrives later
        #expect(read(at: 5_001) == (.integer(0), .integer(0), .integer(1)), "a payment outside 1h; the chargeback counts once, not as a payment")
        // Past the 30-day window and its last 1/100 bucket.
        #expect(read(at: 5_000 + 31 * 86_400) == (.integer(0), .integer(0), .integer(0)))
    }
}
