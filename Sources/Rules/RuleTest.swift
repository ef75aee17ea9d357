/// A `test` block: facts and feature values given, the action (and rules) expected.
public struct RuleTest: Sendable {
    public struct Given: Sendable {
        let slot: Int
        let value: Value
        /// For `currency = "JPY"`: the exponent money facts use.
        let currencyExponent: Int?
    }

    public let name: String
    public let line: Int
    let givens: [Given]
    public let expectedAction: Action
    public let expectedRules: [String]
}

public struct RuleTestOutcome: Sendable {
    public let test: RuleTest
    public let actualAction: Action
    public let firedRules: [String]
    /// Expected rules that did not fire.
    public let missingRules: [String]

    public var passed: Bool { actualAction == test.expectedAction && missingRules.isEmpty }

    /// "expected block by card_testing, got review by geo_mismatch, velocity".
    public var failureMessage: String {
        var expected = test.expectedAction.rawValue
        if !test.expectedRules.isEmpty { expected += " by " + test.expectedRules.joined(separator: ", ") }
        let got = actualAction.rawValue + (firedRules.isEmpty ? " (no rule fired)" : " by " + firedRules.joined(separator: ", "))
        var message = "expected \(expected), got \(got)"
        if !missingRules.isEmpty { message += "; did not fire: " + missingRules.joined(separator: ", ") }
        return message
    }
}

extension RuleSet {
    /// Runs every test block of the file against this rule set.
    public func runTests() -> [RuleTestOutcome] {
        let record = makeRecord()
        var evaluation = Evaluation()
        return tests.map { test in
            record.reset()
            record.currencyExponent = 2
            for given in test.givens where given.currencyExponent != nil {
                record.currencyExponent = given.currencyExponent!
            }
            for given in test.givens {
                record.set(given.slot, given.value)
            }
            evaluate(record, into: &evaluation)
            let fired = evaluation.fired.map { rules[Int($0)].name }
            return RuleTestOutcome(test: test, actualAction: evaluation.action, firedRules: fired,
                                   missingRules: test.expectedRules.filter { !fired.contains($0) })
        }
    }
}

extension FactRecord {
    /// Stores a typed value in a slot (the slot's type was checked at compile time).
    public func set(_ slot: Int, _ value: Value) {
        switch value {
        case .missing: setMissing(slot)
        case .string(let s): setString(slot, s)
        case .integer(let i): setWord(slot, i)
        case .decimal(let d): setDecimal(slot, d)
        case .money(let scaled): setMoney(slot, scaledUnits: scaled)
        case .bool(let b): setBool(slot, b)
        case .duration(let s): setWord(slot, s)
        case .timestamp(let t): setWord(slot, t)
        case .country(let c): setCountry(slot, c)
        }
    }
}
