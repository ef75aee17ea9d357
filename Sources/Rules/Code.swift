/// Compiled expressions: typed closures over a `FactRecord`, one per node after
/// folding and fusing. A boolean is three-valued (`Truth`): a comparison with a
/// missing value is `missing`, and only `true` makes a rule fire.
public typealias Truth = UInt8

public enum TruthValue {
    public static let isFalse: Truth = 0
    public static let isTrue: Truth = 1
    public static let missing: Truth = 2
}

typealias BoolCode = @Sendable (FactRecord) -> Truth
typealias WordCode = @Sendable (FactRecord) -> Int64?
typealias DoubleCode = @Sendable (FactRecord) -> Double?
typealias StringCode = @Sendable (FactRecord) -> String?

enum Code: @unchecked Sendable {
    case bool(BoolCode)
    case word(WordCode)
    case double(DoubleCode)
    case string(StringCode)
}

/// Comparison operators as types, so each compiled comparison is specialised
/// (no switch on the operator at evaluation time).
protocol ComparisonOperator: SendableMetatype {
    static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool
}

enum EqualOperator: ComparisonOperator {
    @inline(__always) static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool { lhs == rhs }
}
enum NotEqualOperator: ComparisonOperator {
    @inline(__always) static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool { lhs != rhs }
}
enum LessOperator: ComparisonOperator {
    @inline(__always) static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool { lhs < rhs }
}
enum LessEqualOperator: ComparisonOperator {
    @inline(__always) static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool { lhs <= rhs }
}
enum GreaterOperator: ComparisonOperator {
    @inline(__always) static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool { lhs > rhs }
}
enum GreaterEqualOperator: ComparisonOperator {
    @inline(__always) static func holds<T: Comparable>(_ lhs: T, _ rhs: T) -> Bool { lhs >= rhs }
}

/// Builders of comparison closures, specialised per operator and operand shape.
enum ComparisonCode {
    static func wordSlotConstant<Op: ComparisonOperator>(_: Op.Type, slot: Int, constant: Int64) -> BoolCode {
        { record in record.present[slot] ? (Op.holds(record.words[slot], constant) ? 1 : 0) : 2 }
    }

    static func wordSlotSlot<Op: ComparisonOperator>(_: Op.Type, left: Int, right: Int) -> BoolCode {
        { record in
            record.present[left] && record.present[right] ? (Op.holds(record.words[left], record.words[right]) ? 1 : 0) : 2
        }
    }

    static func words<Op: ComparisonOperator>(_: Op.Type, _ left: @escaping WordCode, _ right: @escaping WordCode) -> BoolCode {
        { record in
            guard let l = left(record), let r = right(record) else { return 2 }
            return Op.holds(l, r) ? 1 : 0
        }
    }

    static func wordsConstant<Op: ComparisonOperator>(_: Op.Type, _ left: @escaping WordCode, constant: Int64) -> BoolCode {
        { record in
            guard let l = left(record) else { return 2 }
            return Op.holds(l, constant) ? 1 : 0
        }
    }

    static func doubles<Op: ComparisonOperator>(_: Op.Type, _ left: @escaping DoubleCode, _ right: @escaping DoubleCode) -> BoolCode {
        { record in
            guard let l = left(record), let r = right(record) else { return 2 }
            return Op.holds(l, r) ? 1 : 0
        }
    }

    static func strings<Op: ComparisonOperator>(_: Op.Type, _ left: @escaping StringCode, _ right: @escaping StringCode) -> BoolCode {
        { record in
            guard let l = left(record), let r = right(record) else { return 2 }
            return Op.holds(l, r) ? 1 : 0
        }
    }

    static func stringSlotConstant<Op: ComparisonOperator>(_: Op.Type, slot: Int, constant: String) -> BoolCode {
        { record in record.present[slot] ? (Op.holds(record.strings[slot], constant) ? 1 : 0) : 2 }
    }

    static func make(_ op: BinaryOperator, words left: @escaping WordCode, _ right: @escaping WordCode,
                     leftSlot: Int?, rightSlot: Int?, rightConstant: Int64?) -> BoolCode {
        dispatch(op, WordBuilder(left: left, right: right, leftSlot: leftSlot, rightSlot: rightSlot, rightConstant: rightConstant))
    }

    static func make(_ op: BinaryOperator, doubles left: @escaping DoubleCode, _ right: @escaping DoubleCode) -> BoolCode {
        dispatch(op, DoubleBuilder(left: left, right: right))
    }

    static func make(_ op: BinaryOperator, strings left: @escaping StringCode, _ right: @escaping StringCode,
                     leftSlot: Int?, rightConstant: String?) -> BoolCode {
        dispatch(op, StringBuilder(left: left, right: right, leftSlot: leftSlot, rightConstant: rightConstant))
    }

    private static func dispatch<Builder: ComparisonBuilder>(_ op: BinaryOperator, _ builder: Builder) -> BoolCode {
        switch op {
        case .equal: builder.build(EqualOperator.self)
        case .notEqual: builder.build(NotEqualOperator.self)
        case .less: builder.build(LessOperator.self)
        case .lessEqual: builder.build(LessEqualOperator.self)
        case .greater: builder.build(GreaterOperator.self)
        case .greaterEqual: builder.build(GreaterEqualOperator.self)
        default: preconditionFailure("not a comparison: \(op)")
        }
    }
}

/// Builds one comparison closure for a statically known operator type.
private protocol ComparisonBuilder {
    func build<Op: ComparisonOperator>(_ type: Op.Type) -> BoolCode
}

private struct WordBuilder: ComparisonBuilder {
    let left: WordCode, right: WordCode
    let leftSlot: Int?, rightSlot: Int?, rightConstant: Int64?

    func build<Op: ComparisonOperator>(_ type: Op.Type) -> BoolCode {
        if let slot = leftSlot, let constant = rightConstant { return ComparisonCode.wordSlotConstant(type, slot: slot, constant: constant) }
        if let l = leftSlot, let r = rightSlot { return ComparisonCode.wordSlotSlot(type, left: l, right: r) }
        if let constant = rightConstant { return ComparisonCode.wordsConstant(type, left, constant: constant) }
        return ComparisonCode.words(type, left, right)
    }
}

private struct DoubleBuilder: ComparisonBuilder {
    let left: DoubleCode, right: DoubleCode
    func build<Op: ComparisonOperator>(_ type: Op.Type) -> BoolCode { ComparisonCode.doubles(type, left, right) }
}

private struct StringBuilder: ComparisonBuilder {
    let left: StringCode, right: StringCode
    let leftSlot: Int?, rightConstant: String?

    func build<Op: ComparisonOperator>(_ type: Op.Type) -> BoolCode {
        if let slot = leftSlot, let constant = rightConstant { return ComparisonCode.stringSlotConstant(type, slot: slot, constant: constant) }
        return ComparisonCode.strings(type, left, right)
    }
}
