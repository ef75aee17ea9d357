/// Lints over a file that compiled: rules that can never fire, duplicates,
/// rules made pointless by precedence, unused lists and features, negative
/// comparisons on facts that are often missing. Warnings only.
struct Analyzer {
    let compiler: ExpressionCompiler
    let statements: [Statement]
    let declarations: Declarations

    func run() {
        let rules = statements.compactMap { if case .rule(let r) = $0 { r } else { nil } }
        var conjunctsByRule: [(RuleDecl, Set<String>)] = []
        for rule in rules {
            let conjuncts = Analyzer.conjuncts(rule.condition)
            conjunctsByRule.append((rule, Set(conjuncts.map { ExpressionPrinter.print($0) })))
            checkNeverFires(rule, conjuncts)
            checkOftenMissing(rule)
        }
        checkDuplicatesAndPrecedence(conjunctsByRule)
        checkUnused()
        checkScoreWithoutDecide(rules)
    }

    private func warn(_ range: SourceRange, _ message: String) { compiler.diagnostics.warning(range, message) }

    private func line(_ range: SourceRange) -> Int { declarations.source.lineAndColumn(of: range.start).line }

    static func conjuncts(_ expr: Expr) -> [Expr] {
        if case .binary(.and, let l, let r) = expr.kind { return conjuncts(l) + conjuncts(r) }
        return [expr]
    }

    // MARK: never fires

    /// A constant-false condition, or `and`-ed bounds on one value that no value satisfies.
    private func checkNeverFires(_ rule: RuleDecl, _ conjuncts: [Expr]) {
        if let truth = declarations.constantConditions[rule.name] {
            if truth != TruthValue.isTrue {
                warn(rule.nameRange, "rule '\(rule.name)' can never fire: its condition is always \(truth == TruthValue.isFalse ? "false" : "missing")")
            } else {
                warn(rule.nameRange, "rule '\(rule.name)' fires on every transaction: its condition is always true")
            }
            return
        }
        var bounds: [String: Interval] = [:]
        var equalities: [String: String] = [:]
        for conjunct in conjuncts {
            guard case .binary(let written, let left, let right) = conjunct.kind, written.isComparison else { continue }
            var subject = left, other = right, op = written
            if Analyzer.literalNumber(subject) != nil || Analyzer.literalString(subject) != nil {
                swap(&subject, &other)
                op = op.mirrored
            }
            guard case .name(let name) = subject.kind else { continue }
            if let number = Analyzer.literalNumber(other) {
                var interval = bounds[name] ?? Interval()
                interval.apply(op, number)
                bounds[name] = interval
                if interval.isEmpty {
                    warn(rule.nameRange, "rule '\(rule.name)' can never fire: no value of '\(name)' satisfies all of its bounds (\(ExpressionPrinter.print(conjunct)) contradicts an earlier condition)")
                    return
                }
            } else if let text = Analyzer.literalString(other), op == .equal {
                if let previous = equalities[name], previous != text {
                    warn(rule.nameRange, "rule '\(rule.name)' can never fire: '\(name)' cannot equal both \(ExpressionPrinter.quoted(previous)) and \(ExpressionPrinter.quoted(text))")
                    return
                }
                equalities[name] = text
            }
        }
        for conjunct in conjuncts {
            guard case .binary(.notEqual, let l, let r) = conjunct.kind, case .name(let name) = l.kind,
                  let text = Analyzer.literalString(r), equalities[name] == text else { continue }
            warn(rule.nameRange, "rule '\(rule.name)' can never fire: '\(name)' cannot both equal and differ from \(ExpressionPrinter.quoted(text))")
            return
        }
    }

    static func literalNumber(_ expr: Expr) -> Double? {
        switch expr.kind {
        case .integer(let v): Double(v)
        case .decimal(let d): d.doubleValue
        case .duration(let s): Double(s)
        default: nil
        }
    }

    static func literalString(_ expr: Expr) -> String? {
        if case .string(let s) = expr.kind { return s }
        return nil
    }

    /// Bounds on one number: (low, high) with inclusivity.
    struct Interval {
        var low = -Double.infinity, lowInclusive = false
        var high = Double.infinity, highInclusive = false
        var excluded: [Double] = []

        mutating func apply(_ op: BinaryOperator, _ value: Double) {
            switch op {
            case .greater: raiseLow(value, inclusive: false)
            case .greaterEqual: raiseLow(value, inclusive: true)
            case .less: lowerHigh(value, inclusive: false)
            case .lessEqual: lowerHigh(value, inclusive: true)
            case .equal: raiseLow(value, inclusive: true); lowerHigh(value, inclusive: true)
            case .notEqual: excluded.append(value)
            default: break
            }
        }

        private mutating func raiseLow(_ value: Double, inclusive: Bool) {
            if value > low || (value == low && !inclusive) { low = value; lowInclusive = inclusive }
        }

        private mutating func lowerHigh(_ value: Double, inclusive: Bool) {
            if value < high || (value == high && !inclusive) { high = value; highInclusive = inclusive }
        }

        var isEmpty: Bool {
            if low > high { return true }
            if low == high { return !(lowInclusive && highInclusive) || excluded.contains(low) }
            return false
        }
    }

    // MARK: duplicates and precedence

    private func checkDuplicatesAndPrecedence(_ rules: [(RuleDecl, Set<String>)]) {
        var firstByText: [String: RuleDecl] = [:]
        for (rule, _) in rules {
            let text = ExpressionPrinter.print(rule.condition)
            if let earlier = firstByText[text], earlier.shadow == rule.shadow {
                if earlier.action == rule.action {
                    warn(rule.nameRange, "rule '\(rule.name)' duplicates rule '\(earlier.name)' on line \(line(earlier.range)): same condition, same action")
                } else {
                    warn(rule.nameRange, "rule '\(rule.name)' has the same condition as rule '\(earlier.name)' on line \(line(earlier.range)) but a different action")
                }
                continue
            }
            firstByText[text] = rule
        }
        // A rule whose conditions include all of a block (or allow) rule's conditions
        // fires only when that rule fires too, and then that rule decides.
        // Deciders are indexed by one of their conjuncts to keep this linear.
        var decidersByConjunct: [String: [(RuleDecl, Set<String>)]] = [:]
        for (rule, conjuncts) in rules where !rule.shadow && (rule.action == .block || rule.action == .allow) {
            if let key = conjuncts.min() { decidersByConjunct[key, default: []].append((rule, conjuncts)) }
        }
        for (rule, conjuncts) in rules where !rule.shadow && rule.action != .block {
            let text = ExpressionPrinter.print(rule.condition)
            guard firstByText[text]?.name == rule.name else { continue } // reported as a duplicate
            search: for conjunct in conjuncts {
                for (decider, deciderConjuncts) in decidersByConjunct[conjunct] ?? [] {
                    guard decider.name != rule.name, deciderConjuncts.isSubset(of: conjuncts),
                          ExpressionPrinter.print(decider.condition) != text else { continue }
                    if decider.action == .allow && rule.action == .allow { continue }
                    let deciderAction = decider.action == .block ? "block" : "allow"
                    warn(rule.nameRange, "rule '\(rule.name)' can never change a decision: whenever it fires, \(deciderAction) rule '\(decider.name)' (line \(line(decider.range))) fires too and takes precedence")
                    break search
                }
            }
        }
    }

    // MARK: usage

    private func checkUnused() {
        for list in compiler.lists.values.sorted(by: { $0.range.start < $1.range.start }) where !list.used {
            warn(list.range, "list '\(list.name)' is never used")
        }
        for statement in statements {
            guard case .letFeature(let feature) = statement, compiler.features[feature.name] != nil,
                  !compiler.usedNames.contains(feature.name) else { continue }
            warn(feature.nameRange, "feature '\(feature.name)' is never used")
        }
    }

    private func checkScoreWithoutDecide(_ rules: [RuleDecl]) {
        let scoring = rules.first { if case .score = $0.action { !$0.shadow } else { false } }
        if let scoring, declarations.decide == nil {
            warn(scoring.nameRange, "score rules have no effect without a decide block (for example 'decide:' with 'block if score >= 80' and 'allow')")
        }
        if let decide = declarations.decide, let last = decide.entries.last, last.condition != nil {
            warn(last.range, "the decide block has no final line without a condition; payments that match no line are allowed (end it with 'allow')")
        }
    }

    // MARK: often-missing facts

    /// `x != "US"` or `x not in @l` is false when x is missing, which analysts
    /// often do not expect; suggest `??` or `is_missing`.
    private func checkOftenMissing(_ rule: RuleDecl) {
        let guarded = Analyzer.guardedNames(rule.condition)
        var reported: Set<String> = []
        Analyzer.visit(rule.condition) { expr in
            let subjects: [Expr]
            switch expr.kind {
            case .binary(.notEqual, let l, let r): subjects = [l, r]
            case .inList(let v, _, _, true), .inValues(let v, _, true), .like(let v, _, true): subjects = [v]
            default: return
            }
            for subject in subjects {
                guard case .name(let name) = subject.kind, compiler.features[name] == nil,
                      let entry = FactCatalog.entry(name), entry.oftenMissing,
                      !guarded.contains(name), reported.insert(name).inserted else { continue }
                warn(subject.range, "'\(name)' is often missing, and a comparison with a missing value is false, so rule '\(rule.name)' will not fire when it is missing; write (\(name) ?? …) or test is_missing(\(name))")
            }
        }
    }

    /// Names that appear inside `is_missing(…)` or on the left of `??`.
    static func guardedNames(_ expr: Expr) -> Set<String> {
        var names: Set<String> = []
        visit(expr) { node in
            switch node.kind {
            case .call("is_missing", _, let args): if case .name(let n)? = args.first?.kind { names.insert(n) }
            case .binary(.coalesce, let l, _): if case .name(let n) = l.kind { names.insert(n) }
            default: break
            }
        }
        return names
    }

    static func visit(_ expr: Expr, _ body: (Expr) -> Void) {
        body(expr)
        switch expr.kind {
        case .unary(_, let e): visit(e, body)
        case .binary(_, let l, let r): visit(l, body); visit(r, body)
        case .inList(let v, _, _, _): visit(v, body)
        case .inValues(let v, let values, _): visit(v, body); values.forEach { visit($0, body) }
        case .like(let v, let p, _): visit(v, body); visit(p, body)
        case .call(_, _, let args): args.forEach { visit($0, body) }
        default: break
        }
    }
}
