import Testing
@testable import Rules

@Suite("Type checker")
struct TypeCheckTests {
    /// One rule's condition, the error message expected (a prefix), and its column.
    @Test(arguments: [
        ("amount > \"x\"", "cannot compare money with string", 18),
        ("card.country == amount", "cannot compare country with money", 18),
        ("customer.age > 30", "cannot compare duration with integer", 18),
        ("card.country == \"Nigeria\"", "\"Nigeria\" is not a country code", 18),
        ("card.brand > \"visa\"", "'>' orders numbers", 18),
        ("nope > 3", "unknown fact or feature 'nope'", 18),
        ("ip.contry == \"NG\"", "unknown fact or feature 'ip.contry'; did you mean 'ip.country'?", 18),
        ("card in @nolist", "unknown list '@nolist'", 26),
        ("amount", "a rule's condition must be true or false, but this is a money", 18),
        ("amount and true", "'and' joins conditions, but this is a money", 18),
        ("not amount", "'not' needs true or false", 22),
        ("amount + card.country > 1", "cannot add money and country", 18),
        ("lower(amount) == \"x\"", "lower needs string, but this is a money", 24),
        ("frob(amount)", "unknown function 'frob'", 18),
        ("count(amount) > 1", "count(…) is a velocity aggregate", 18),
        ("starts_with(card.bin) ", "starts_with takes 2 arguments, not 1", 18),
        ("amount > 1.00001", "money has at most 4 decimal places", 18),
        ("score > 10", "'score' is the total of score points", 18),
        ("card.brand like card.bin", "the pattern after 'like' must be a quoted string", 34),
        ("amount in [\"a\"]", "'in' looks up strings and country codes", 18),
        ("card.country in [\"USA\"]", "the values is used with a country, but \"USA\" is not a two-letter country code", 35),
        ("hour_of_day(amount) > 3", "hour_of_day needs timestamp", 30),
    ])
    func rejects(condition: String, message: String, column: Int) {
        let found = diagnostics("rule r: block if \(condition)\n")
        #expect(found.contains { $0.hasPrefix("1:\(column): error: \(message)") }, "\(found)")
    }

    @Test(arguments: [
        "amount > 200",
        "amount > 200.00",
        "amount > 5 * customer_avg",
        "amount > 1.5 * customer_avg",
        "amount / customer_avg > 3.5",
        "amount - 20 > 0",
        "customer.age > 365d",
        "device.first_seen < 10m",
        "time - 1h > time - 2h",
        "card.country != ip.country",
        "card.country == \"NG\"",
        "(ip.country ?? \"US\") == \"US\"",
        "is_missing(ip.country) or ip.country in [\"NG\", \"RU\"]",
        "customer.chargebacks == 0",
        "length(customer.email) > 30 and ends_with(customer.email, \".ru\")",
        "abs(amount - customer_avg) > 100.00",
        "min(amount, 50.00) == 50.00 and max(customer.chargebacks, 1) >= 1",
        "day_of_week(time) >= 6 and hour_of_day(time) < 5",
        "metadata.order_type == \"gift_card\"",
        "label == true",
        "upper(card.brand) == \"VISA\" and contains(customer.email, \"+\")",
    ])
    func accepts(condition: String) {
        let text = "let customer_avg = avg(amount by customer over 30d)\nrule r: block if \(condition)\n"
        let errors = diagnostics(text).filter { $0.contains("error:") }
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test func aggregatesAreChecked() {
        let text = """
        let a = sum(card by card over 1h)
        let b = count(payments by amount over 1h)
        let c = count(payments by card over 10s)
        let d = count(payments by card over 400d)
        let e = count(payments by card over 1h where card_tx > 1)
        let f = count(payments by nope over 1h)
        let g = count(cards by card over 1h)
        let h = distinct(card by ip, ip over 1h)
        """
        let found = diagnostics(text)
        #expect(found.contains { $0.hasPrefix("1:13: error: sum needs money, an integer or a duration") })
        #expect(found.contains { $0.hasPrefix("2:27: error: 'amount' is a money; counters are keyed by") })
        #expect(found.contains { $0.hasPrefix("3:37: error: window must be between 1m and 365d") })
        #expect(found.contains { $0.hasPrefix("4:37: error: window must be between 1m and 365d") })
        #expect(found.contains { $0.hasPrefix("5:46: error: unknown fact or feature 'card_tx'") })
        #expect(found.contains { $0.hasPrefix("6:27: error: unknown key fact 'nope'") })
        #expect(found.contains { $0.hasPrefix("7:15: error: count counts 'payments'") })
        #expect(found.contains { $0.hasPrefix("8:9: error: a key fact is repeated") })
    }

    @Test func namesAreUniqueAndDefinedBeforeUse() {
        let text = """
        let x = count(payments by card over 1h)
        let x = count(payments by ip over 1h)
        let amount = count(payments by ip over 1h)
        rule r: block if y > 1
        let y = count(payments by ip over 1h)
        rule r: block if x > 1
        list l = ["a"]
        list l = ["b"]
        """
        let found = diagnostics(text)
        #expect(found.contains { $0.hasPrefix("2:5: error: feature 'x' is already defined on line 1") })
        #expect(found.contains { $0.hasPrefix("3:5: error: feature 'amount' has the name of a fact") })
        #expect(found.contains { $0.hasPrefix("4:18: error: unknown fact or feature 'y'") })
        #expect(found.contains { $0.hasPrefix("6:6: error: rule 'r' is already defined on line 4") })
        #expect(found.contains { $0.hasPrefix("8:6: error: list 'l' is already defined on line 7") })
    }

    @Test func testBlocksAreChecked() {
        let text = """
        let x = count(payments by card over 1h)
        let y = x * 2
        rule r: block if y > 1
        test "t":
          given amount = "ten", x = 1, x = 2, y = 3, nope = 1
          expect block by r, ghost
        test "no expect":
          given x = 1
        """
        let found = diagnostics(text)
        #expect(found.contains { $0.hasPrefix("5:18: error: cannot") || $0.hasPrefix("5:18: error: 'amount' is a money") })
        #expect(found.contains { $0.hasPrefix("5:32: error: 'x' is given twice") })
        #expect(found.contains { $0.hasPrefix("5:39: error: feature 'y' is computed") })
        #expect(found.contains { $0.hasPrefix("5:46: error: unknown fact or feature 'nope'") })
        #expect(found.contains { $0.hasPrefix("6:22: error: unknown rule 'ghost'") })
        #expect(found.contains { $0.hasPrefix("7:6: error: test \"no expect\" has no 'expect' line") })
    }
}
