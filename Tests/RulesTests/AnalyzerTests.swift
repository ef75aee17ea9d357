import Testing
@testable import Rules

@Suite("Analyzer lints")
struct AnalyzerTests {
    private func warnings(_ text: String) -> [String] {
        diagnostics(text).filter { $0.contains(" warning: ") }
    }

    @Test(arguments: [
        ("rule r: block if 1 > 2", "rule 'r' can never fire: its condition is always false"),
        ("rule r: block if amount > 100.00 and amount < 50.00", "rule 'r' can never fire: no value of 'amount'"),
        ("rule r: block if amount >= 10 and amount < 10", "rule 'r' can never fire"),
        ("rule r: block if card.brand == \"visa\" and card.brand == \"amex\"", "cannot equal both \"visa\" and \"amex\""),
        ("rule r: block if card.brand == \"visa\" and card.brand != \"visa\"", "cannot both equal and differ"),
        ("rule r: review if ip.country != \"US\"", "'ip.country' is often missing"),
        ("rule r: review if shipping.country not in [\"US\"]", "'shipping.country' is often missing"),
        ("rule r: score +5 if amount > 1.00", "score rules have no effect without a decide block"),
        ("list l = [\"a\"]\nrule r: block if amount > 1.00", "list 'l' is never used"),
        ("let f = count(payments by card over 1h)\nrule r: block if amount > 1.00", "feature 'f' is never used"),
        ("rule a: block if amount > 1.00\nrule b: block if amount > 1.00", "rule 'b' duplicates rule 'a' on line 1"),
        ("rule a: block if amount > 1.00\nrule b: allow if amount > 1.00", "rule 'b' has the same condition as rule 'a' on line 1 but a different action"),
        ("rule a: block if card.brand == \"x\"\nrule b: review if amount > 5.00 and card.brand == \"x\"", "rule 'b' can never change a decision: whenever it fires, block rule 'a' (line 1)"),
        ("rule a: allow if customer == \"x\"\nrule b: score +5 if customer == \"x\" and amount > 1.00\ndecide:\n  block if score > 1\n  allow", "allow rule 'a' (line 1) fires too"),
        ("rule a: block if amount > 1.00\ndecide:\n  block if score > 10", "the decide block has no final line without a condition"),
    ])
    func warns(text: String, message: String) {
        let found = warnings(text + "\n")
        #expect(found.contains { $0.contains(message) }, "\(found)")
    }

    @Test(arguments: [
        "rule r: review if not is_missing(ip.country) and ip.country != \"US\"",
        "rule r: review if (ip.country ?? \"US\") != \"US\"",
        "rule r: block if amount > 100.00 and amount < 500.00",
        "rule a: block if card.brand == \"x\"\nrule b: block if card.brand == \"x\" and amount > 5.00",
        "rule r: score +5 if amount > 1.00\ndecide:\n  block if score > 1\n  allow",
    ])
    func quietOnGoodRules(text: String) {
        #expect(warnings(text + "\n").isEmpty, "\(warnings(text + "\n"))")
    }

    @Test func decideLineAfterDefaultIsAnError() {
        let found = diagnostics("rule r: score +5 if amount > 1.00\ndecide:\n  allow\n  block if score > 1\n")
        #expect(found.contains("4:3: error: this line can never apply: the line before it has no condition"))
    }
}
