import Testing
import TollgateCore
@testable import Rules

/// The flat instruction program must decide exactly as the typed closures
/// (the reference semantics) on every record, missing values included.
@Suite("Flat program agrees with the closures")
struct ProgramTests {
    static let text = """
    list risky = ["NG", "RU"]
    list bins = ["411111", "550000", "400000", "510510", "424242", "601100", "353011", "378282", "371449"]
    let n = count(payments by card over 1h)
    let m = count(payments by ip over 1h)
    let avg = avg(amount by card over 1d)
    let total = sum(amount by card over 1d)
    rule r1: block if n > 3 and m < 2
    rule r2: block if n > 3 or m < 2
    rule r3: block if not (n > 3 and m < 2)
    rule r4: block if not n > 3 or not (m < 2 or n == 1)
    rule r5: block if (n > 3 or m < 2) and (card.country in @risky or not is_missing(ip.country))
    rule r6: block if amount > 5 * avg and amount > 20.00
    rule r7: block if total + amount > 100.00 or n + m >= 5
    rule r8: block if card.bin in @bins and card.brand != "visa"
    rule r9: block if card.bin not in @bins or card.brand == "amex" and n > 1
    rule r10: block if ip.country != card.country and not (ip.country in @risky)
    rule r11: block if (n ?? 0) > 2 and lower(card.brand ?? "x") == "visa"
    rule r12: block if n > m and (m > 0 or amount / 2 > 10.00)
    rule r13: block if true and n > 1
    rule r14: block if not (not (not is_missing(n)))
    rule r15: block if ((n > 1 and m > 1) or (n > 2 and m > 2)) and not (amount < 1.00 or amount > 500.00)
    """

    @Test func randomRecords() throws {
        let set = try ruleSet(Self.text)
        var random = SeededRandom(seed: 99)
        let record = set.makeRecord()
        var evaluation = Evaluation()
        func maybe(_ body: () -> Void) { if random.below(4) != 0 { body() } }
        for _ in 0..<20_000 {
            record.reset()
            maybe { record.setInteger(set.layout.slot(named: "n")!.index, Int64(random.below(6))) }
            maybe { record.setInteger(set.layout.slot(named: "m")!.index, Int64(random.below(4))) }
            maybe { record.setMoney(set.layout.slot(named: "avg")!.index, minorUnits: Int64(random.below(5_000))) }
            maybe { record.setMoney(set.layout.slot(named: "total")!.index, minorUnits: Int64(random.below(20_000))) }
            maybe { record.setMoney(set.layout.slot(named: "amount")!.index, minorUnits: Int64(random.below(60_000))) }
            maybe { record.setCountry(set.layout.slot(named: "card.country")!.index, ["NG", "US", "RU"][random.below(3)]) }
            maybe { record.setCountry(set.layout.slot(named: "ip.country")!.index, ["NG", "US", "FR"][random.below(3)]) }
            maybe { record.setString(set.layout.slot(named: "card.bin")!.index, ["411111", "123456", "378282"][random.below(3)]) }
            maybe { record.setString(set.layout.slot(named: "card.brand")!.index, ["visa", "amex", "VISA"][random.below(3)]) }
            set.evaluate(record, into: &evaluation)
            let expected = set.rules.indices.filter { set.rules[$0].condition(record) == TruthValue.isTrue }.map { Int32($0) }
            #expect(evaluation.fired == expected)
            if evaluation.fired != expected { return }
        }
    }
}
