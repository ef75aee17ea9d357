import TollgateCore

/// Prints expressions canonically, with only the parentheses precedence needs.
/// Used by the formatter and by lints that compare conditions.
enum ExpressionPrinter {
    /// With `source`, durations print as written (`24h` stays `24h`); without,
    /// in a normal form, so that conditions can be compared.
    static func print(_ expr: Expr, source: SourceFile? = nil) -> String {
        var out = ""
        write(expr, minimumPrecedence: 0, source: source, into: &out)
        return out
    }

    static func precedence(_ expr: Expr) -> Int {
        switch expr.kind {
        case .binary(let op, _, _): op.precedence
        case .unary(.not, _): Precedence.not
        case .unary(.negate, _): Precedence.unaryMinus
        case .inList, .inValues, .like: Precedence.comparison
        case .integer(let v) where v < 0: Precedence.unaryMinus
        case .decimal(let d) where d.mantissa < 0: Precedence.unaryMinus
        default: Precedence.primary
        }
    }

    private static func write(_ expr: Expr, minimumPrecedence: Int, source: SourceFile?, into out: inout String) {
        let own = precedence(expr)
        let parenthesize = own < minimumPrecedence
        if parenthesize { out += "(" }
        switch expr.kind {
        case .name(let name): out += name
        case .integer(let value): out += String(value)
        case .decimal(let d): out += DecimalText.format(units: d.mantissa, scale: d.scale)
        case .duration(let seconds):
            if let source { out += String(decoding: source.bytes[expr.range.start..<expr.range.end], as: UTF8.self) } else { out += Value.formatDuration(seconds) }
        case .string(let text): out += quoted(text)
        case .boolean(let value): out += value ? "true" : "false"
        case .unary(.not, let operand):
            out += "not "
            write(operand, minimumPrecedence: Precedence.comparison, source: source, into: &out)
        case .unary(.negate, let operand):
            out += "-"
            write(operand, minimumPrecedence: Precedence.primary, source: source, into: &out)
        case .binary(let op, let left, let right):
            let p = op.precedence
            write(left, minimumPrecedence: op.isComparison ? p + 1 : p, source: source, into: &out)
            out += " \(op.rawValue) "
            write(right, minimumPrecedence: p + 1, source: source, into: &out)
        case .inList(let value, let list, _, let negated):
            write(value, minimumPrecedence: Precedence.comparison + 1, source: source, into: &out)
            out += negated ? " not in @" : " in @"
            out += list
        case .inValues(let value, let values, let negated):
            write(value, minimumPrecedence: Precedence.comparison + 1, source: source, into: &out)
            out += negated ? " not in [" : " in ["
            out += values.map { print($0, source: source) }.joined(separator: ", ")
            out += "]"
        case .like(let value, let pattern, let negated):
            write(value, minimumPrecedence: Precedence.comparison + 1, source: source, into: &out)
            out += negated ? " not like " : " like "
            write(pattern, minimumPrecedence: Precedence.comparison + 1, source: source, into: &out)
        case .call(let function, _, let arguments):
            out += function + "("
            out += arguments.map { print($0, source: source) }.joined(separator: ", ")
            out += ")"
        }
        if parenthesize { out += ")" }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func aggregate(_ aggregate: AggregateExpr, source: SourceFile) -> String {
        var out = aggregate.function.rawValue + "(" + (aggregate.value ?? "payments")
        out += " by " + aggregate.keys.joined(separator: ", ")
        out += " over " + String(decoding: source.bytes[aggregate.windowRange.start..<aggregate.windowRange.end], as: UTF8.self)
        if let filter = aggregate.filter { out += " where " + print(filter, source: source) }
        return out + ")"
    }
}
