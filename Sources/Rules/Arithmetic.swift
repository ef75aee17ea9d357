/// `+ - * /` over numbers, money, durations and times. Overflow and division by
/// zero give a missing value rather than a trap: rules run on untrusted input.
enum Arithmetic {
    static func compile(_ op: BinaryOperator, _ left: Typed, _ right: Typed, _ range: SourceRange,
                        compiler: ExpressionCompiler) -> Typed? {
        guard var result = compileCode(op, left, right, range, compiler: compiler) else { return nil }
        result.affine = affine(op, left, right, resultType: result.type)
        return result
    }

    /// Sums of slots and integer multiples of one slot keep their terms.
    private static func affine(_ op: BinaryOperator, _ left: Typed, _ right: Typed, resultType: ValueType) -> [AffineTerm]? {
        guard resultType.isWord else { return nil }
        switch op {
        case .add where left.type == right.type:
            guard let l = left.affine, let r = right.affine else { return nil }
            return l + r
        case .multiply:
            if case .integer(let k)? = left.literal, let r = right.affine, r.count == 1, r[0].factor == 1 {
                return [AffineTerm(slot: r[0].slot, factor: k)]
            }
            if case .integer(let k)? = right.literal, let l = left.affine, l.count == 1, l[0].factor == 1 {
                return [AffineTerm(slot: l[0].slot, factor: k)]
            }
            return nil
        default:
            return nil
        }
    }

    private static func compileCode(_ op: BinaryOperator, _ left: Typed, _ right: Typed, _ range: SourceRange,
                                    compiler: ExpressionCompiler) -> Typed? {
        // Money with a literal number: `5 * avg`, `amount - 20` (20.00 of the currency).
        var left = left, right = right
        if op == .add || op == .subtract {
            if left.type == .money, let m = compiler.coerceLiteral(right, to: .money, range) { right = m }
            else if right.type == .money, let m = compiler.coerceLiteral(left, to: .money, range) { left = m }
        }
        switch (left.type, op, right.type) {
        case (.integer, _, .integer) where op != .divide:
            return word(.integer, left, right, op)
        case (.integer, .divide, .integer), (.decimal, _, .decimal), (.integer, _, .decimal), (.decimal, _, .integer):
            return double(left.type == .integer ? compiler.widen(left) : left,
                          right.type == .integer ? compiler.widen(right) : right, op)
        case (.money, .add, .money), (.money, .subtract, .money),
             (.duration, .add, .duration), (.duration, .subtract, .duration):
            return word(left.type, left, right, op)
        case (.timestamp, .add, .duration), (.timestamp, .subtract, .duration):
            return word(.timestamp, left, right, op)
        case (.duration, .add, .timestamp):
            return word(.timestamp, left, right, op)
        case (.timestamp, .subtract, .timestamp):
            return word(.duration, left, right, op)
        case (.money, .multiply, .integer), (.money, .divide, .integer), (.duration, .multiply, .integer), (.duration, .divide, .integer):
            return word(left.type, left, right, op)
        case (.integer, .multiply, .money), (.integer, .multiply, .duration):
            return word(right.type, right, left, op)
        case (.money, .multiply, .decimal), (.money, .divide, .decimal):
            return scaleMoney(left, by: right, divide: op == .divide)
        case (.decimal, .multiply, .money):
            return scaleMoney(right, by: left, divide: false)
        case (.money, .divide, .money), (.duration, .divide, .duration):
            return double(asDouble(left), asDouble(right), .divide)
        default:
            let verb = ["+": "add", "-": "subtract", "*": "multiply", "/": "divide"][op.rawValue]!
            let joiner = op == .add ? "and" : op == .subtract ? "from" : "by"
            let (a, b) = op == .subtract ? (right.type, left.type) : (left.type, right.type)
            compiler.error(range, "cannot \(verb) \(a.rawValue) \(joiner) \(b.rawValue)")
            return nil
        }
    }

    private static func asDouble(_ typed: Typed) -> Typed {
        let inner = typed.wordCode
        var result = typed
        result.type = .decimal
        result.code = .double({ record in inner(record).map(Double.init) })
        return result
    }

    private static func word(_ type: ValueType, _ left: Typed, _ right: Typed, _ op: BinaryOperator) -> Typed {
        let a = left.wordCode, b = right.wordCode
        let code: WordCode
        switch op {
        case .add: code = { r in
            guard let x = a(r), let y = b(r) else { return nil }
            let (v, o) = x.addingReportingOverflow(y)
            return o ? nil : v
        }
        case .subtract: code = { r in
            guard let x = a(r), let y = b(r) else { return nil }
            let (v, o) = x.subtractingReportingOverflow(y)
            return o ? nil : v
        }
        case .multiply: code = { r in
            guard let x = a(r), let y = b(r) else { return nil }
            let (v, o) = x.multipliedReportingOverflow(by: y)
            return o ? nil : v
        }
        default: code = { r in
            guard let x = a(r), let y = b(r), y != 0 else { return nil }
            let (v, o) = x.dividedReportingOverflow(by: y)
            return o ? nil : v
        }
        }
        return Typed(type: type, code: .word(code), isConstant: false, slot: nil, literal: nil, cost: 0, reads: [])
    }

    private static func double(_ left: Typed, _ right: Typed, _ op: BinaryOperator) -> Typed {
        let a = left.doubleCode, b = right.doubleCode
        let code: DoubleCode
        switch op {
        case .add: code = { r in guard let x = a(r), let y = b(r) else { return nil }; return x + y }
        case .subtract: code = { r in guard let x = a(r), let y = b(r) else { return nil }; return x - y }
        case .multiply: code = { r in guard let x = a(r), let y = b(r) else { return nil }; return x * y }
        default: code = { r in
            guard let x = a(r), let y = b(r), y != 0 else { return nil }
            return x / y
        }
        }
        return Typed(type: .decimal, code: .double(code), isConstant: false, slot: nil, literal: nil, cost: 0, reads: [])
    }

    /// Money × a decimal. A decimal literal (`1.5 * avg`) scales exactly in
    /// integers; a computed decimal rounds the product to the nearest money unit.
    private static func scaleMoney(_ money: Typed, by factor: Typed, divide: Bool) -> Typed {
        let m = money.wordCode
        if case .decimal(let literal) = factor.literal, !divide {
            var power: Int64 = 1
            for _ in 0..<literal.scale { power *= 10 }
            let denominator = power
            let numerator = literal.mantissa
            return Typed(type: .money, code: .word({ r in
                guard let x = m(r) else { return nil }
                let (p, o) = x.multipliedReportingOverflow(by: numerator)
                return o ? nil : p / denominator
            }), isConstant: false, slot: nil, literal: nil, cost: 0, reads: [])
        }
        let f = factor.doubleCode
        return Typed(type: .money, code: .word({ r in
            guard let x = m(r), let y = f(r) else { return nil }
            let product = divide ? (y == 0 ? Double.nan : Double(x) / y) : Double(x) * y
            return Int64(exactly: product.rounded())
        }), isConstant: false, slot: nil, literal: nil, cost: 0, reads: [])
    }
}
