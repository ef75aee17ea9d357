/// The syntax tree of a rule file, as written, with a source range on every node.

public struct Expr: Sendable {
    public var kind: ExprKind
    public var range: SourceRange

    /// Every fact or feature name the expression reads.
    public var referencedNames: Set<String> {
        var names: Set<String> = []
        collectNames(into: &names)
        return names
    }

    /// The `outcome` values the expression can only be true with, when it says
    /// (`outcome == "fraud" and …`, `outcome in ["fraud", "chargeback"] and …`);
    /// nil when any outcome might do. Lets batch scoring skip filters that
    /// cannot pass at decision time.
    public var requiredOutcomes: Set<String>? {
        switch kind {
        case .binary(.and, let left, let right):
            switch (left.requiredOutcomes, right.requiredOutcomes) {
            case (nil, nil): return nil
            case (let only?, nil), (nil, let only?): return only
            case (let a?, let b?): return a.intersection(b)
            }
        case .binary(.equal, let left, let right):
            if case .name("outcome") = left.kind, case .string(let value) = right.kind { return [value] }
            if case .name("outcome") = right.kind, case .string(let value) = left.kind { return [value] }
            return nil
        case .inValues(let operand, let values, false):
            guard case .name("outcome") = operand.kind else { return nil }
            var strings: Set<String> = []
            for value in values {
                guard case .string(let text) = value.kind else { return nil }
                strings.insert(text)
            }
            return strings
        default:
            return nil
        }
    }

    private func collectNames(into names: inout Set<String>) {
        switch kind {
        case .name(let name): names.insert(name)
        case .integer, .decimal, .duration, .string, .boolean: break
        case .unary(_, let operand): operand.collectNames(into: &names)
        case .binary(_, let left, let right):
            left.collectNames(into: &names)
            right.collectNames(into: &names)
        case .inList(let operand, _, _, _): operand.collectNames(into: &names)
        case .inValues(let operand, let values, _):
            operand.collectNames(into: &names)
            for value in values { value.collectNames(into: &names) }
        case .like(let operand, let pattern, _):
            operand.collectNames(into: &names)
            pattern.collectNames(into: &names)
        case .call(_, _, let arguments):
            for argument in arguments { argument.collectNames(into: &names) }
        }
    }
}

public indirect enum ExprKind: Sendable {
    case name(String)                      // a fact (amount, card.country) or a feature (card_tx_1h)
    case integer(Int64)                    // 200
    case decimal(DecimalLiteral)           // 200.00
    case duration(seconds: Int64)          // 10m
    case string(String)                    // "NG"
    case boolean(Bool)                     // true / false
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    case inList(Expr, list: String, listRange: SourceRange, negated: Bool)          // x in @list
    case inValues(Expr, values: [Expr], negated: Bool)                                // x in ["a", "b"]
    case like(Expr, pattern: Expr, negated: Bool)                                     // x like "%@example.com"
    case call(function: String, functionRange: SourceRange, arguments: [Expr])       // lower(x)
}

/// An exact decimal literal: `mantissa` × 10^-`scale` (200.50 → 20050, 2).
public struct DecimalLiteral: Sendable, Hashable {
    public let mantissa: Int64
    public let scale: Int
    public var doubleValue: Double {
        var value = Double(mantissa)
        for _ in 0..<scale { value /= 10 }
        return value
    }
}

public enum UnaryOperator: String, Sendable {
    case not = "not"
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case or, and
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case coalesce = "??"
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: true
        default: false
        }
    }

    /// Binding strength: higher binds tighter. One table for parser and formatter.
    var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        // 3 is prefix `not`
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: 4  // also in / like
        case .coalesce: 5
        case .add, .subtract: 6
        case .multiply, .divide: 7
        }
    }
}

enum Precedence {
    static let not = 3
    static let comparison = 4
    static let unaryMinus = 8
    static let primary = 9
}

public enum AggregateFunction: String, Sendable, CaseIterable {
    case count, sum, avg, min, max, distinct
}

/// `count(payments by card over 1h where outcome == "declined")`.
public struct AggregateExpr: Sendable {
    public var function: AggregateFunction
    /// The fact aggregated: `amount` for sum/avg/min/max, the counted fact for distinct, nil for count.
    public var value: String?
    public var valueRange: SourceRange?
    /// The key facts, one or more (`by card, merchant`).
    public var keys: [String]
    public var keyRanges: [SourceRange]
    public var windowSeconds: Int64
    public var windowRange: SourceRange
    public var filter: Expr?
    public var range: SourceRange
}

public enum RuleAction: Sendable, Hashable {
    case block, review, challenge, allow
    case score(Int64)
}

public enum Action: String, Sendable, CaseIterable, Comparable {
    case allow, challenge, review, block

    /// How severe an outcome is: the order in which results of score thresholds,
    /// review and challenge rules combine (see README "Action precedence").
    public var severity: Int {
        switch self {
        case .allow: 0
        case .challenge: 1
        case .review: 2
        case .block: 3
        }
    }

    public static func < (lhs: Action, rhs: Action) -> Bool { lhs.severity < rhs.severity }
}

public struct ListDecl: Sendable {
    public enum Source: Sendable {
        case inline([(value: String, range: SourceRange)])
        case file(path: String, range: SourceRange)
    }
    public var name: String
    public var nameRange: SourceRange
    public var source: Source
    public var range: SourceRange
}

public struct LetDecl: Sendable {
    public enum Value: Sendable {
        case expression(Expr)
        case aggregate(AggregateExpr)
    }
    public var name: String
    public var nameRange: SourceRange
    public var value: Value
    public var range: SourceRange
}

public struct RuleDecl: Sendable {
    public var name: String
    public var nameRange: SourceRange
    public var shadow: Bool
    public var action: RuleAction
    public var actionRange: SourceRange
    public var condition: Expr
    public var range: SourceRange
}

public struct DecideEntry: Sendable {
    public var action: Action
    public var condition: Expr?
    public var range: SourceRange
}

public struct DecideDecl: Sendable {
    public var entries: [DecideEntry]
    public var range: SourceRange
}

public struct TestGiven: Sendable {
    /// True for the first value of a `given` line (the formatter keeps the lines).
    public var startsLine: Bool
    public var name: String
    public var nameRange: SourceRange
    public var value: Expr
}

public struct TestExpectation: Sendable {
    public var action: Action
    public var rules: [(name: String, range: SourceRange)]
    public var range: SourceRange
}

public struct TestDecl: Sendable {
    public var name: String
    public var givens: [TestGiven]
    public var expectation: TestExpectation?
    public var range: SourceRange
}

public enum Statement: Sendable {
    case list(ListDecl)
    case letFeature(LetDecl)
    case rule(RuleDecl)
    case decide(DecideDecl)
    case test(TestDecl)

    public var range: SourceRange {
        switch self {
        case .list(let d): d.range
        case .letFeature(let d): d.range
        case .rule(let d): d.range
        case .decide(let d): d.range
        case .test(let d): d.range
        }
    }
}

/// A parsed file: its statements in source order and its comments (for the formatter).
public struct RuleFileSyntax: Sendable {
    public var statements: [Statement]
    public var comments: [Comment]
}
