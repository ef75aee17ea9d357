import Testing
@testable import Rules

@Suite("Formatter")
struct FormatterTests {
    private func format(_ text: String) -> String? {
        RuleFormatter.format(SourceFile(path: "f.rules", text: text))
    }

    @Test func canonicalFormAlignsAndKeepsComments() throws {
        let text = """
        # Header comment

        list   risky=["NG","RU"]   # trailing
        let a=count(payments   by card over 60m)
        let longer_name = sum(amount by card,merchant over 86400s where outcome=="declined")
        # About rule one
        rule one :block if card.country in @risky and ((a>3))
        rule two_long_name (shadow):score +5 if a>1
        decide:
          # strict
          block if score>=80
          allow
        test "t":
          given a=4,card.country="NG"
          expect block by one
        """
        let formatted = try #require(format(text))
        #expect(formatted == """
        # Header comment

        list risky = ["NG", "RU"]  # trailing
        let a           = count(payments by card over 60m)
        let longer_name = sum(amount by card, merchant over 86400s where outcome == "declined")
        # About rule one
        rule one:                    block    if card.country in @risky and a > 3
        rule two_long_name (shadow): score +5 if a > 1
        decide:
          # strict
          block if score >= 80
          allow
        test "t":
          given a = 4, card.country = "NG"
          expect block by one

        """)
        #expect(format(formatted) == formatted)
    }

    @Test func refusesFilesThatDoNotParse() {
        #expect(format("rule r: block if (\n") == nil)
    }

    @Test func formattedFilesBehaveTheSame() throws {
        let text = "rule a: block if not (amount > 1.00 or card.brand == \"x\") and -amount < -0.50\nrule b: score +3 if (amount - 1.00) - 2.00 > 0\ndecide:\n  block if score > 2\n  allow\n"
        let formatted = try #require(format(text))
        let original = try ruleSet(text), reformatted = try ruleSet(formatted)
        for amount in ["0.10", "0.75", "1.50", "3.50", "4.00"] {
            for brand in ["x", "y"] {
                let facts = ["amount": amount, "card.brand": brand]
                #expect(evaluate(original, facts).0.action == evaluate(reformatted, facts).0.action)
                #expect(firedNames(original, facts) == firedNames(reformatted, facts))
            }
        }
    }
}
