/// A type-checked, compiled expression.
struct AffineTerm: Sendable {
    let slot: Int
    let factor: Int64
}

struct Typed {
    enum Literal {
        case integer(Int64)
        case decimal(DecimalLiteral)
        case string(String)
    }

    var type: ValueType
    var code: Code
    /// True when the value reads no fact: it is folded at compile time.
    var isConstant: Bool
    /// Set when the expression is a plain read of one record slot (enables fused comparisons).
    var slot: Int?
    /// Set for number and string literals, which adapt to the other operand's
    /// type (`200` next to money is 200.00 of the transaction's currency).
    var literal: Literal?
    /// A rough evaluation cost, used to put the cheaper side of `and`/`or` first.
    var cost: Int
    /// Facts and features the value depends on, for "why did it fire".
    var reads: [String]
    /// For booleans: the shape the flat `Program` can run without a closure.
    var predicate: Predicate? = nil
    /// For words that are a slot, `k * slot` or a sum of those (`a + b`,
    /// `5 * avg`): the terms, so comparisons on them run in the flat program.
    /// Evaluated left to right with the same overflow checks as the closure.
    var affine: [AffineTerm]? = nil

    /// The predicate of a boolean, falling back to its closure.
    var lowered: Predicate { predicate ?? .code(boolCode) }

    var wordCode: WordCode {
        guard case .word(let code) = code else { preconditionFailure("\(type) is not held in a word") }
        return code
    }
    var doubleCode: DoubleCode {
        guard case .double(let code) = code else { preconditionFailure("\(type) is not a decimal") }
        return code
    }
    var stringCode: StringCode {
        guard case .string(let code) = code else { preconditionFailure("\(type) is not a string") }
        return code
    }
    var boolCode: BoolCode {
        guard case .bool(let code) = code else { preconditionFailure("\(type) is not a bool") }
        return code
    }

    /// The value as a reader for explanations.
    var valueReader: @Sendable (FactRecord) -> Value {
        let type = self.type
        switch code {
        case .bool(let code):
            return { record in
                let truth = code(record)
                return truth == TruthValue.missing ? .missing : .bool(truth == TruthValue.isTrue)
            }
        case .word(let code): return { record in code(record).map { Value(word: $0, type: type) } ?? .missing }
        case .double(let code): return { record in code(record).map { .decimal($0) } ?? .missing }
        case .string(let code): return { record in code(record).map { .string($0) } ?? .missing }
        }
    }

    static func constantWord(_ value: Int64, _ type: ValueType, literal: Literal? = nil) -> Typed {
        Typed(type: type, code: .word({ _ in value }), isConstant: true, slot: nil, literal: literal, cost: 0, reads: [])
    }

    static func constantDouble(_ value: Double, literal: Literal? = nil) -> Typed {
        Typed(type: .decimal, code: .double({ _ in value }), isConstant: true, slot: nil, literal: literal, cost: 0, reads: [])
    }

    static func constantString(_ value: String, literal: Bool = true) -> Typed {
        Typed(type: .string, code: .string({ _ in value }), isConstant: true, slot: nil,
              literal: literal ? .string(value) : nil, cost: 0, reads: [])
    }

    static func constantBool(_ truth: Truth) -> Typed {
        Typed(type: .bool, code: .bool({ _ in truth }), isConstant: true, slot: nil, literal: nil, cost: 0, reads: [],
              predicate: .constant(truth))
    }

    /// The value of a constant word expression (after folding).
    func constantWordValue(_ scratch: FactRecord) -> Int64? {
        guard isConstant, case .word(let code) = code else { return nil }
        return code(scratch)
    }
}
