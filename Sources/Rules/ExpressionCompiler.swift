import TollgateCore

/// Type-checks expressions and turns them into closures in one pass: every
/// node is checked, folded when constant, and fused with its neighbours where
/// a specialised closure exists (slot ⋈ constant comparisons, list lookups).
/// Errors are recorded and the node becomes `nil`, which silences follow-on errors.
final class ExpressionCompiler {
    enum Scope {
        /// Rule conditions and derived features: facts, features, lists.
        case rule
        /// An aggregate's `where`: facts and lists of the past payment only.
        case filter
        /// The decide block: `score`, facts, features, lists.
        case decide
    }

    struct Feature {
        let name: String
        let range: SourceRange
        /// The compiled value for derived features; aggregates read their slot.
        let typed: Typed
        let isAggregate: Bool
    }

    var layout = RecordLayout()
    var diagnostics = DiagnosticList()
    var features: [String: Feature] = [:]
    var lists: [String: CompiledList] = [:]
    var usedNames: Set<String> = []
    let limits: RuleLimits
    var listResolution: ListResolution = .declaredOnly
    /// Undeclared lists read at runtime, each warned about once.
    private var runtimeOnlyListsWarned: Set<String> = []
    /// An empty record to evaluate constant expressions at compile time.
    private let scratch = FactRecord(layout: RecordLayout())

    init(limits: RuleLimits) {
        self.limits = limits
    }

    func error(_ range: SourceRange, _ message: String) {
        diagnostics.error(range, message)
    }

    // MARK: - Entry points

    func compileCondition(_ expr: Expr, scope: Scope, what: String) -> Typed? {
        guard let typed = compile(expr, scope) else { return nil }
        guard typed.type == .bool else {
            error(expr.range, "\(what) must be true or false, but this is \(typed.type.article)")
            return nil
        }
        return typed
    }

    func compile(_ expr: Expr, _ scope: Scope) -> Typed? {
        let typed: Typed?
        switch expr.kind {
        case .name(let name): typed = resolve(name, expr.range, scope)
        case .integer(let value): typed = .constantWord(value, .integer, literal: .integer(value))
        case .decimal(let literal): typed = .constantDouble(literal.doubleValue, literal: .decimal(literal))
        case .duration(let seconds): typed = .constantWord(seconds, .duration)
        case .string(let value): typed = .constantString(value)
        case .boolean(let value): typed = .constantBool(value ? TruthValue.isTrue : TruthValue.isFalse)
        case .unary(let op, let operand): typed = compileUnary(op, operand, expr.range, scope)
        case .binary(let op, let left, let right): typed = compileBinary(op, left, right, expr.range, scope)
        case .inList(let value, let list, let listRange, let negated):
            typed = compileInList(value, list, listRange, negated: negated, scope)
        case .inValues(let value, let values, let negated): typed = compileInValues(value, values, negated: negated, scope)
        case .like(let value, let pattern, let negated): typed = compileLike(value, pattern, negated: negated, scope)
        case .call(let function, let functionRange, let arguments):
            typed = compileCall(function, functionRange, arguments, expr.range, scope)
        }
        return typed.map(fold)
    }

    /// Replaces a constant expression by its value.
    private func fold(_ typed: Typed) -> Typed {
        guard typed.isConstant, typed.literal == nil, typed.cost > 0 || typed.slot != nil else { return typed }
        switch typed.code {
        case .bool(let code): return .constantBool(code(scratch))
        case .word(let code):
            guard let value = code(scratch) else { return typed }
            var folded = Typed.constantWord(value, typed.type)
            if typed.type == .integer { folded.literal = .integer(value) }
            return folded
        case .double(let code):
            guard let value = code(scratch) else { return typed }
            return .constantDouble(value)
        case .string(let code):
            guard let value = code(scratch) else { return typed }
            return .constantString(value, literal: false)
        }
    }

    // MARK: - Names

    private func resolve(_ name: String, _ range: SourceRange, _ scope: Scope) -> Typed? {
        usedNames.insert(name)
        if name == "score" {
            guard scope == .decide else {
                error(range, "'score' is the total of score points; it can only be read in the decide block")
                return nil
            }
            // The engine writes the total into this slot before the decide block runs.
            return slotRead(layout.slot(for: "score", type: .integer), name: "score", type: .integer)
        }
        if let feature = features[name] {
            guard scope != .filter else {
                error(range, "a 'where' filter reads the facts of past payments; feature '\(name)' cannot be used in it")
                return nil
            }
            // Report the feature by name (and what it is computed from) when a rule fires.
            var typed = feature.typed
            typed.reads = [name] + typed.reads.filter { $0 != name }
            return typed
        }
        if let entry = FactCatalog.entry(name) {
            let slot = layout.slot(for: name, type: entry.type)
            return slotRead(slot, name: name, type: entry.type)
        }
        var message = "unknown fact or feature '\(name)'"
        if let suggestion = FactCatalog.suggestion(for: name, among: Array(features.keys)) {
            message += "; did you mean '\(suggestion)'?"
        }
        error(range, message)
        return nil
    }

    func slotRead(_ slot: Int, name: String, type: ValueType) -> Typed {
        let code: Code
        switch type {
        case .string: code = .string({ record in record.string(slot) })
        case .decimal: code = .double({ record in record.double(slot) })
        case .bool: code = .bool({ record in record.present[slot] ? (record.words[slot] != 0 ? 1 : 0) : 2 })
        default: code = .word({ record in record.word(slot) })
        }
        var typed = Typed(type: type, code: code, isConstant: false, slot: slot, literal: nil, cost: 1, reads: [name])
        if type.isWord && type != .bool { typed.affine = [AffineTerm(slot: slot, factor: 1)] }
        return typed
    }

    // MARK: - Operators

    private func compileUnary(_ op: UnaryOperator, _ operand: Expr, _ range: SourceRange, _ scope: Scope) -> Typed? {
        guard let value = compile(operand, scope) else { return nil }
        switch op {
        case .not:
            guard value.type == .bool else {
                error(operand.range, "'not' needs true or false, but this is \(value.type.article)")
                return nil
            }
            let inner = value.boolCode
            return Typed(type: .bool, code: .bool({ record in
                let truth = inner(record)
                return truth == TruthValue.missing ? truth : 1 - truth
            }), isConstant: value.isConstant, slot: nil, literal: nil, cost: value.cost + 1, reads: value.reads,
               predicate: .not(value.lowered))
        case .negate:
            switch value.type {
            case .integer, .money, .duration:
                let inner = value.wordCode
                return Typed(type: value.type, code: .word({ record in
                    guard let v = inner(record), v != .min else { return nil }
                    return -v
                }), isConstant: value.isConstant, slot: nil, literal: nil, cost: value.cost + 1, reads: value.reads)
            case .decimal:
                let inner = value.doubleCode
                return Typed(type: .decimal, code: .double({ record in inner(record).map { -$0 } }),
                             isConstant: value.isConstant, slot: nil, literal: nil, cost: value.cost + 1, reads: value.reads)
            default:
                error(range, "cannot negate \(value.type.article)")
                return nil
            }
        }
    }

    private func compileBinary(_ op: BinaryOperator, _ leftExpr: Expr, _ rightExpr: Expr, _ range: SourceRange, _ scope: Scope) -> Typed? {
        let leftTyped = compile(leftExpr, scope)
        let rightTyped = compile(rightExpr, scope)
        guard let left = leftTyped, let right = rightTyped else { return nil }
        let reads = left.reads + right.reads.filter { !left.reads.contains($0) }
        let isConstant = left.isConstant && right.isConstant
        let cost = left.cost + right.cost + 1
        switch op {
        case .and, .or:
            for (side, expr) in [(left, leftExpr), (right, rightExpr)] where side.type != .bool {
                error(expr.range, "'\(op.rawValue)' joins conditions, but this is \(side.type.article)")
                return nil
            }
            // Kleene logic is commutative: evaluate the cheaper side first.
            let (firstTyped, secondTyped) = left.cost <= right.cost ? (left, right) : (right, left)
            let (first, second) = (firstTyped.boolCode, secondTyped.boolCode)
            let code: BoolCode
            if op == .and {
                code = { record in
                    let a = first(record)
                    if a == TruthValue.isFalse { return TruthValue.isFalse }
                    let b = second(record)
                    if b == TruthValue.isFalse { return TruthValue.isFalse }
                    return a == TruthValue.isTrue && b == TruthValue.isTrue ? TruthValue.isTrue : TruthValue.missing
                }
            } else {
                code = { record in
                    let a = first(record)
                    if a == TruthValue.isTrue { return TruthValue.isTrue }
                    let b = second(record)
                    if b == TruthValue.isTrue { return TruthValue.isTrue }
                    return a == TruthValue.isFalse && b == TruthValue.isFalse ? TruthValue.isFalse : TruthValue.missing
                }
            }
            let predicate: Predicate = op == .and ? .and(firstTyped.lowered, secondTyped.lowered) : .or(firstTyped.lowered, secondTyped.lowered)
            return Typed(type: .bool, code: .bool(code), isConstant: isConstant, slot: nil, literal: nil, cost: cost, reads: reads,
                         predicate: predicate)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            return compileComparison(op, left, right, leftExpr, rightExpr, range, reads: reads)
        case .coalesce:
            guard let (l, r, type) = unify(left, right, range, verb: "use", joiner: "as a default for") else { return nil }
            let code: Code
            switch (l.code, r.code) {
            case (.word(let a), .word(let b)): code = .word({ record in a(record) ?? b(record) })
            case (.double(let a), .double(let b)): code = .double({ record in a(record) ?? b(record) })
            case (.string(let a), .string(let b)): code = .string({ record in a(record) ?? b(record) })
            case (.bool(let a), .bool(let b)): code = .bool({ record in
                let t = a(record)
                return t == TruthValue.missing ? b(record) : t
            })
            default: preconditionFailure("unify returned different representations")
            }
            return Typed(type: type, code: code, isConstant: isConstant, slot: nil, literal: nil, cost: cost, reads: reads)
        case .add, .subtract, .multiply, .divide:
            return Arithmetic.compile(op, left, right, range, compiler: self).map {
                var typed = $0
                typed.isConstant = isConstant
                typed.cost = cost
                typed.reads = reads
                return typed
            }
        }
    }

    private func compileComparison(_ op: BinaryOperator, _ left: Typed, _ right: Typed, _ leftExpr: Expr, _ rightExpr: Expr,
                                   _ range: SourceRange, reads: [String]) -> Typed? {
        guard case (var l, var r, let type)? = unify(left, right, range, verb: "compare", joiner: "with") else { return nil }
        let ordering = op != .equal && op != .notEqual
        if ordering && !type.isOrdered {
            error(range, "'\(op.rawValue)' orders numbers, money, durations and times; \(type.article) can only be compared with == or !=")
            return nil
        }
        // Put a slot on the left and a constant on the right, so the fused closures apply.
        var op = op
        if l.isConstant && !r.isConstant {
            swap(&l, &r)
            op = op.mirrored
        }
        let code: BoolCode
        var predicate: Predicate?
        switch (l.code, r.code) {
        case (.word(let a), .word(let b)):
            let constant = r.isConstant ? r.constantWordValue(scratch) : nil
            code = ComparisonCode.make(op, words: a, b, leftSlot: l.slot, rightSlot: r.slot, rightConstant: constant)
            if let slot = l.slot, let constant { predicate = .wordCompare(op, slot: slot, constant: constant) }
            else if let slot = l.slot, let other = r.slot { predicate = .wordSlots(op, slot: slot, other: other) }
            else if let terms = l.affine, let constant { predicate = .affineCompare(op, terms, [], constant: constant) }
            else if let left = l.affine, let right = r.affine { predicate = .affineCompare(op, left, right, constant: 0) }
        case (.double(let a), .double(let b)):
            code = ComparisonCode.make(op, doubles: a, b)
        case (.string(let a), .string(let b)):
            let constant = r.isConstant ? b(scratch) : nil
            code = ComparisonCode.make(op, strings: a, b, leftSlot: l.slot, rightConstant: constant)
            if let slot = l.slot, let constant, op == .equal || op == .notEqual {
                predicate = .stringEquals(slot: slot, bytes: Array(constant.utf8), negated: op == .notEqual)
            }
        case (.bool(let a), .bool(let b)):
            let equal = op == .equal
            code = { record in
                let x = a(record), y = b(record)
                if x == TruthValue.missing || y == TruthValue.missing { return TruthValue.missing }
                return (x == y) == equal ? TruthValue.isTrue : TruthValue.isFalse
            }
        default: preconditionFailure("unify returned different representations")
        }
        return Typed(type: .bool, code: .bool(code), isConstant: l.isConstant && r.isConstant, slot: nil, literal: nil,
                     cost: l.cost + r.cost + 1, reads: reads, predicate: predicate)
    }

    /// Brings two operands to one type: literals adapt (a number next to money
    /// is money, a string next to a country is a country code) and integers
    /// widen to decimals. Anything else is a type error naming both types.
    func unify(_ left: Typed, _ right: Typed, _ range: SourceRange, verb: String, joiner: String) -> (Typed, Typed, ValueType)? {
        if left.type == right.type { return (left, right, left.type) }
        if let coerced = coerceLiteral(right, to: left.type, range) { return (left, coerced, left.type) }
        if let coerced = coerceLiteral(left, to: right.type, range) { return (coerced, right, right.type) }
        if left.type == .integer && right.type == .decimal { return (widen(left), right, .decimal) }
        if left.type == .decimal && right.type == .integer { return (left, widen(right), .decimal) }
        if diagnostics.items.last?.range != range {
            var message = "cannot \(verb) \(left.type.rawValue) \(joiner) \(right.type.rawValue)"
            if (left.type == .money && right.type == .string) || (left.type == .string && right.type == .money) {
                message += "; write money as a number such as 200.00"
            } else if left.type == .duration || right.type == .duration {
                message += "; write durations with a unit, such as 30d or 10m"
            }
            error(range, message)
        }
        return nil
    }

    /// A literal turned into `type`, or nil when it does not adapt (errors for
    /// literals that adapt but are out of range, like a 5-letter country code).
    func coerceLiteral(_ typed: Typed, to type: ValueType, _ range: SourceRange) -> Typed? {
        guard let literal = typed.literal else { return nil }
        switch (literal, type) {
        case (.integer(let value), .money):
            let (scaled, overflow) = value.multipliedReportingOverflow(by: MoneyScale.unitsPerMajor)
            if overflow { error(range, "amount \(value) is too large"); return nil }
            return .constantWord(scaled, .money)
        case (.decimal(let d), .money):
            guard d.scale <= MoneyScale.decimals else {
                error(range, "money has at most \(MoneyScale.decimals) decimal places; \(DecimalText.format(units: d.mantissa, scale: d.scale)) has \(d.scale)")
                return nil
            }
            var factor: Int64 = 1
            for _ in 0..<(MoneyScale.decimals - d.scale) { factor *= 10 }
            let (scaled, overflow) = d.mantissa.multipliedReportingOverflow(by: factor)
            if overflow { error(range, "amount is too large"); return nil }
            return .constantWord(scaled, .money)
        case (.integer(let value), .decimal):
            return .constantDouble(Double(value))
        case (.string(let text), .country):
            guard text.utf8.count == 2, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
                  let packed = CountryCode.pack(text) else {
                error(range, "\"\(text)\" is not a country code; write two upper-case letters such as \"NG\"")
                return nil
            }
            return .constantWord(packed, .country)
        default:
            return nil
        }
    }

    func widen(_ typed: Typed) -> Typed {
        let inner = typed.wordCode
        var widened = typed
        widened.type = .decimal
        widened.code = .double({ record in inner(record).map(Double.init) })
        widened.slot = nil
        if case .integer(let v) = typed.literal { widened.literal = .decimal(DecimalLiteral(mantissa: v, scale: 0)) }
        return widened
    }

    // MARK: - Membership and patterns

    private func compileInList(_ valueExpr: Expr, _ name: String, _ listRange: SourceRange, negated: Bool, _ scope: Scope) -> Typed? {
        let valueTyped = compile(valueExpr, scope)
        let runtime = listResolution == .withRuntimeLists && scope != .filter
        let declared = lists[name]
        if declared == nil && !runtime {
            var message = "unknown list '@\(name)'"
            if let close = lists.keys.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= 2 {
                message += "; did you mean '@\(close)'?"
            } else if listResolution == .withRuntimeLists {
                message += "; a 'where' filter reads only lists declared in the file"
            }
            error(listRange, message)
            return nil
        }
        declared?.used = true
        if declared == nil && runtimeOnlyListsWarned.insert(name).inserted {
            diagnostics.warning(listRange, "list '@\(name)' is not declared in this file; it holds only the items added through /v1/lists/\(name)")
        }
        guard let value = valueTyped else { return nil }
        return membership(value, items: declared?.items ?? [], itemRanges: declared?.itemRanges ?? [], listName: "list '\(name)'",
                          fallbackRange: listRange, negated: negated, range: valueExpr.range.union(listRange),
                          runtimeList: runtime ? name : nil)
    }

    private func compileInValues(_ valueExpr: Expr, _ values: [Expr], negated: Bool, _ scope: Scope) -> Typed? {
        guard let value = compile(valueExpr, scope) else { return nil }
        var items: [String] = []
        var ranges: [SourceRange] = []
        for item in values {
            guard case .string(let text) = item.kind else {
                error(item.range, "the values after 'in' must be quoted strings")
                return nil
            }
            items.append(text)
            ranges.append(item.range)
        }
        let range = values.last.map { valueExpr.range.union($0.range) } ?? valueExpr.range
        return membership(value, items: items, itemRanges: ranges, listName: "the values", fallbackRange: range,
                          negated: negated, range: range)
    }

    private func membership(_ value: Typed, items: [String], itemRanges: [SourceRange], listName: String,
                            fallbackRange: SourceRange, negated: Bool, range: SourceRange, runtimeList: String? = nil) -> Typed? {
        let hit: Truth = negated ? TruthValue.isFalse : TruthValue.isTrue
        let miss: Truth = negated ? TruthValue.isTrue : TruthValue.isFalse
        let code: BoolCode
        var predicate: Predicate?
        switch value.type {
        case .string:
            let set = StringSet(items)
            if let name = runtimeList {
                // Not a flat-program leaf: the runtime items are only known per decision.
                let inner = value.stringCode
                code = { record in
                    guard let text = inner(record) else { return TruthValue.missing }
                    let found = set.contains(text) || record.runtimeLists?.contains(text, inList: name) == true
                    return found ? hit : miss
                }
            } else if let slot = value.slot {
                predicate = .stringIn(slot: slot, set: set, negated: negated)
                code = { record in record.present[slot] ? (set.contains(record.strings[slot]) ? hit : miss) : TruthValue.missing }
            } else {
                let inner = value.stringCode
                code = { record in inner(record).map { set.contains($0) ? hit : miss } ?? TruthValue.missing }
            }
        case .country:
            var filling = CountryBitmap()
            for (index, item) in items.enumerated() {
                guard let packed = CountryCode.pack(item), item.utf8.allSatisfy({ $0 < 0x80 && UInt8(ascii: "A") <= $0 && $0 <= UInt8(ascii: "Z") }) else {
                    error(index < itemRanges.count ? itemRanges[index] : fallbackRange,
                          "\(listName) is used with a country, but \"\(item)\" is not a two-letter country code")
                    return nil
                }
                filling.insert(packed)
            }
            let bitmap = filling
            let inner = value.wordCode
            if let name = runtimeList {
                code = { record in
                    guard let packed = inner(record) else { return TruthValue.missing }
                    let found = bitmap.contains(packed) || record.runtimeLists?.contains(CountryCode.unpack(packed), inList: name) == true
                    return found ? hit : miss
                }
            } else if let slot = value.slot {
                predicate = .countryIn(slot: slot, bitmap: bitmap, negated: negated)
                code = { record in record.present[slot] ? (bitmap.contains(record.words[slot]) ? hit : miss) : TruthValue.missing }
            } else {
                code = { record in inner(record).map { bitmap.contains($0) ? hit : miss } ?? TruthValue.missing }
            }
        default:
            error(range, "'in' looks up strings and country codes, but this is \(value.type.article)")
            return nil
        }
        // Runtime items make even a constant value's membership unknown until evaluation.
        return Typed(type: .bool, code: .bool(code), isConstant: value.isConstant && runtimeList == nil, slot: nil, literal: nil,
                     cost: value.cost + 3, reads: value.reads, predicate: predicate)
    }

    private func compileLike(_ valueExpr: Expr, _ patternExpr: Expr, negated: Bool, _ scope: Scope) -> Typed? {
        guard let value = compile(valueExpr, scope) else { return nil }
        guard case .string(let patternText) = patternExpr.kind else {
            error(patternExpr.range, "the pattern after 'like' must be a quoted string such as \"%@example.com\"")
            return nil
        }
        guard value.type == .string else {
            error(valueExpr.range, "'like' matches strings, but this is \(value.type.article)")
            return nil
        }
        let pattern = LikePattern(patternText)
        let inner = value.stringCode
        let code: BoolCode = { record in
            guard let text = inner(record) else { return TruthValue.missing }
            return pattern.matches(text) == !negated ? TruthValue.isTrue : TruthValue.isFalse
        }
        return Typed(type: .bool, code: .bool(code), isConstant: value.isConstant, slot: nil, literal: nil,
                     cost: value.cost + 10, reads: value.reads)
    }

    private func compileCall(_ name: String, _ nameRange: SourceRange, _ arguments: [Expr], _ range: SourceRange, _ scope: Scope) -> Typed? {
        guard let function = BuiltinFunction(rawValue: name) else {
            if AggregateFunction(rawValue: name) != nil && name != "min" && name != "max" {
                error(nameRange, "\(name)(…) is a velocity aggregate; define it with 'let NAME = \(name)(… by KEY over WINDOW)' and use NAME here")
            } else {
                error(nameRange, "unknown function '\(name)'; the functions are \(BuiltinFunction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return nil
        }
        guard arguments.count == function.arity else {
            error(range, "\(name) takes \(function.arity) argument\(function.arity == 1 ? "" : "s"), not \(arguments.count)")
            return nil
        }
        var typedArguments: [Typed] = []
        for argument in arguments {
            guard let typed = compile(argument, scope) else { return nil }
            typedArguments.append(typed)
        }
        return function.compile(typedArguments, arguments, range, compiler: self)
    }
}

extension BinaryOperator {
    /// The operator with its operands swapped: a < b ⇔ b > a.
    var mirrored: BinaryOperator {
        switch self {
        case .less: .greater
        case .lessEqual: .greaterEqual
        case .greater: .less
        case .greaterEqual: .lessEqual
        default: self
        }
    }
}

/// A set of the 676 packed two-letter country codes.
struct CountryBitmap: Sendable {
    private var words = [UInt64](repeating: 0, count: 11)

    mutating func insert(_ packed: Int64) {
        words[Int(packed >> 6)] |= 1 << UInt64(packed & 63)
    }

    @inline(__always)
    func contains(_ packed: Int64) -> Bool {
        guard packed >= 0 && packed < 676 else { return false }
        return words[Int(packed >> 6)] & (1 << UInt64(packed & 63)) != 0
    }
}

/// A named list of the rule file, inline or loaded from a file.
final class CompiledList: @unchecked Sendable {
    let name: String
    let range: SourceRange
    let items: [String]
    let itemRanges: [SourceRange]
    var used = false

    init(name: String, range: SourceRange, items: [String], itemRanges: [SourceRange]) {
        self.name = name
        self.range = range
        self.items = items
        self.itemRanges = itemRanges
    }
}
