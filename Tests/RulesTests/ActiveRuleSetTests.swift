import Testing
@testable import Rules

@Suite("Hot reload")
struct ActiveRuleSetTests {
    @Test func failingTestsNeverGoLive() throws {
        let first = try ruleSet("rule big: block if amount > 100.00\n")
        let active = ActiveRuleSet(first)
        let broken = try ruleSet("""
        rule big: block if amount > 500.00
        test "blocks 200":
          given amount = 200.00
          expect block
        """)
        #expect(throws: ActiveRuleSet.ActivationError.self) { try active.activate(broken) }
        #expect(active.ruleSet.hash == first.hash)
        let good = try ruleSet("rule big: block if amount > 50.00\ntest \"blocks 60\":\n  given amount = 60.00\n  expect block\n")
        try active.activate(good)
        #expect(active.ruleSet.hash == good.hash)
    }

    @Test func readersSeeWholeSetsWhileSwapping() async throws {
        let low = try ruleSet("rule r: block if amount > 1.00\n")
        let high = try ruleSet("rule r: block if amount > 1000.00\n")
        let active = ActiveRuleSet(low)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 0..<2_000 { try? active.activate(i % 2 == 0 ? high : low) }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<2_000 {
                        let set = active.ruleSet
                        let record = set.makeRecord()
                        record.setMoney(set.layout.slot(named: "amount")!.index, minorUnits: 50_000)
                        // 500.00: blocked by `low`, allowed by `high`, never anything else.
                        let action = set.evaluate(record).action
                        #expect(action == (set.hash == low.hash ? .block : .allow))
                    }
                }
            }
        }
    }
}
