import CXXHash
import TollgateCore

/// Reads the items of a `list NAME = file "path"`; the path is as written in
/// the rule file (the caller resolves it against the file's folder). Throws
/// a message for the diagnostic. `Rules` does no I/O itself.
public typealias ListFileLoader = @Sendable (_ path: String) throws(ListFileError) -> [String]

public struct ListFileError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// The result of compiling one rule file.
public struct CompileResult: Sendable {
    public let source: SourceFile
    public let syntax: RuleFileSyntax
    /// Errors and warnings in source order.
    public let diagnostics: [Diagnostic]
    /// Nil when there is any error.
    public let ruleSet: RuleSet?

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Every diagnostic in the compiler format, one block per problem.
    public func renderedDiagnostics() -> [String] { diagnostics.map { $0.render(in: source) } }
}

/// Source text → checked, compiled, linted `RuleSet`. Stages: lex, parse,
/// declare lists and features, compile rules/decide/tests, analyze, hash.
public enum RuleCompiler {
    public static func compile(_ source: SourceFile, limits: RuleLimits = .standard,
                               listLoader: ListFileLoader? = nil, lists: ListResolution = .declaredOnly) -> CompileResult {
        let (syntax, parseDiagnostics) = Parser.parse(source, limits: limits)
        let compiler = ExpressionCompiler(limits: limits)
        compiler.listResolution = lists
        compiler.diagnostics = parseDiagnostics
        var declarations = Declarations(source: source, compiler: compiler, limits: limits, listLoader: listLoader)
        declarations.declare(syntax.statements)
        if !compiler.diagnostics.hasErrors {
            Analyzer(compiler: compiler, statements: syntax.statements, declarations: declarations).run()
        }
        var diagnostics = compiler.diagnostics.sorted
        let hasErrors = diagnostics.contains { $0.severity == .error }
        if diagnostics.count > limits.diagnosticsMax {
            let dropped = diagnostics[limits.diagnosticsMax...]
            let shown = Array(diagnostics.prefix(limits.diagnosticsMax))
            let severity: Diagnostic.Severity = dropped.contains { $0.severity == .error } ? .error : .warning
            diagnostics = shown + [Diagnostic(severity, shown.last!.range, "too many problems; stopped after \(limits.diagnosticsMax) (\(dropped.count) more)")]
        }
        guard !hasErrors else {
            return CompileResult(source: source, syntax: syntax, diagnostics: diagnostics, ruleSet: nil)
        }
        let ruleSet = RuleSet(path: source.path, layout: compiler.layout, rules: declarations.rules,
                              aggregates: declarations.aggregates, derivedFeatures: declarations.derived,
                              featureNames: declarations.featureOrder, decideLines: declarations.decideLines,
                              tests: declarations.tests, hash: contentHash(source, declarations.listContents))
        return CompileResult(source: source, syntax: syntax, diagnostics: diagnostics, ruleSet: ruleSet)
    }

    /// XXH3-128 over the file and the items of its list files, as 32 hex digits.
    static func contentHash(_ source: SourceFile, _ lists: [(String, [String])]) -> String {
        var bytes = source.bytes
        for (name, items) in lists {
            bytes.append(0)
            bytes.append(contentsOf: name.utf8)
            for item in items {
                bytes.append(0)
                bytes.append(contentsOf: item.utf8)
            }
        }
        let hash = bytes.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
        return hex(hash.high64) + hex(hash.low64)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Declares lists, features, rules, the decide block and tests in file order,
/// so that a name can only be used after it is defined.
struct Declarations {
    let source: SourceFile
    let compiler: ExpressionCompiler
    let limits: RuleLimits
    let listLoader: ListFileLoader?
    var rules: [RuleSet.Rule] = []
    var ruleDecls: [String: RuleDecl] = [:]
    var aggregates: [AggregateSpec] = []
    var derived: [RuleSet.DerivedFeature] = []
    var featureOrder: [String] = []
    var decideLines: [RuleSet.DecideLine] = []
    var decide: DecideDecl?
    var tests: [RuleTest] = []
    var listContents: [(String, [String])] = []
    /// Rules whose condition folded to a constant, for the never-fires lint.
    var constantConditions: [String: Truth] = [:]
    private var testDecls: [TestDecl] = []

    init(source: SourceFile, compiler: ExpressionCompiler, limits: RuleLimits, listLoader: ListFileLoader?) {
        self.source = source
        self.compiler = compiler
        self.limits = limits
        self.listLoader = listLoader
    }

    mutating func declare(_ statements: [Statement]) {
        for statement in statements {
            switch statement {
            case .list(let list): declareList(list)
            case .letFeature(let feature): declareFeature(feature)
            case .rule(let rule): declareRule(rule)
            case .decide(let block): declareDecide(block)
            case .test(let test): testDecls.append(test)
            }
        }
        // Tests may name rules defined after them, so they come last.
        if testDecls.count > limits.testsPerFileMax, let first = testDecls.first {
            compiler.error(first.range, "file has \(testDecls.count) tests; the limit is \(limits.testsPerFileMax)")
            return
        }
        for test in testDecls { declareTest(test) }
    }

    private func line(_ range: SourceRange) -> Int { source.lineAndColumn(of: range.start).line }

    private func nameTaken(_ name: String, _ range: SourceRange, what: String) -> Bool {
        if FactCatalog.entry(name) != nil || name == "score" || name == "payments" {
            compiler.error(range, "\(what) '\(name)' has the name of a fact; choose another name")
            return true
        }
        if let other = compiler.features[name] {
            compiler.error(range, "\(what) '\(name)' is already defined on line \(line(other.range))")
            return true
        }
        return false
    }

    // MARK: lists

    private mutating func declareList(_ list: ListDecl) {
        if let other = compiler.lists[list.name] {
            compiler.error(list.nameRange, "list '\(list.name)' is already defined on line \(line(other.range))")
            return
        }
        if compiler.lists.count >= limits.listsPerFileMax {
            compiler.error(list.nameRange, "file has more than \(limits.listsPerFileMax) lists")
            return
        }
        switch list.source {
        case .inline(let values):
            compiler.lists[list.name] = CompiledList(name: list.name, range: list.nameRange, items: values.map(\.value), itemRanges: values.map(\.range))
        case .file(let path, let range):
            guard let listLoader else {
                compiler.error(range, "list files cannot be read here; give the list's items inline")
                return
            }
            do {
                let items = try listLoader(path)
                if items.count > limits.listItemsMax {
                    compiler.error(range, "list file \"\(path)\" has \(items.count) items; the limit is \(limits.listItemsMax)")
                    return
                }
                listContents.append((list.name, items))
                compiler.lists[list.name] = CompiledList(name: list.name, range: list.nameRange, items: items, itemRanges: [])
            } catch {
                compiler.error(range, error.message)
            }
        }
    }

    // MARK: features

    private mutating func declareFeature(_ feature: LetDecl) {
        guard !nameTaken(feature.name, feature.nameRange, what: "feature") else { return }
        if compiler.features.count >= limits.featuresPerFileMax {
            compiler.error(feature.nameRange, "file has more than \(limits.featuresPerFileMax) features")
            return
        }
        switch feature.value {
        case .expression(let expr):
            guard let typed = compiler.compile(expr, .rule) else { return }
            compiler.features[feature.name] = .init(name: feature.name, range: feature.nameRange, typed: typed, isAggregate: false)
            derived.append(RuleSet.DerivedFeature(name: feature.name, read: typed.valueReader))
            featureOrder.append(feature.name)
        case .aggregate(let aggregate):
            guard let spec = aggregateSpec(feature.name, aggregate) else { return }
            let typed = compiler.slotRead(spec.slot, name: feature.name, type: spec.resultType)
            compiler.features[feature.name] = .init(name: feature.name, range: feature.nameRange, typed: typed, isAggregate: true)
            aggregates.append(spec)
            featureOrder.append(feature.name)
        }
    }

    private func aggregateSpec(_ name: String, _ aggregate: AggregateExpr) -> AggregateSpec? {
        var ok = true
        if aggregate.windowSeconds < limits.windowSecondsMin || aggregate.windowSeconds > limits.windowSecondsMax {
            compiler.error(aggregate.windowRange, "window must be between 1m and 365d")
            ok = false
        }
        var keySlots: [Int] = []
        for (key, range) in zip(aggregate.keys, aggregate.keyRanges) {
            guard let entry = FactCatalog.entry(key) else {
                var message = "unknown key fact '\(key)'"
                if let suggestion = FactCatalog.suggestion(for: key) { message += "; did you mean '\(suggestion)'?" }
                compiler.error(range, message)
                ok = false
                continue
            }
            guard [.string, .country, .integer, .bool].contains(entry.type) else {
                compiler.error(range, "'\(key)' is \(entry.type.article); counters are keyed by strings, country codes or integers")
                ok = false
                continue
            }
            compiler.usedNames.insert(key)
            keySlots.append(compiler.layout.slot(for: key, type: entry.type))
        }
        if Set(aggregate.keys).count != aggregate.keys.count {
            compiler.error(aggregate.range, "a key fact is repeated after 'by'")
            ok = false
        }
        var resultType = ValueType.integer
        var valueSlot: Int?
        if let value = aggregate.value, let valueRange = aggregate.valueRange {
            if let entry = FactCatalog.entry(value) {
                compiler.usedNames.insert(value)
                valueSlot = compiler.layout.slot(for: value, type: entry.type)
                switch aggregate.function {
                case .distinct:
                    guard entry.type != .decimal else {
                        compiler.error(valueRange, "distinct counts strings, countries or integers, not decimals")
                        ok = false
                        break
                    }
                case .sum, .min, .max, .avg:
                    guard [.money, .integer, .duration].contains(entry.type) else {
                        compiler.error(valueRange, "\(aggregate.function.rawValue) needs money, an integer or a duration, but '\(value)' is \(entry.type.article)")
                        ok = false
                        break
                    }
                    resultType = aggregate.function == .avg && entry.type == .integer ? .decimal : entry.type
                case .count:
                    break
                }
            } else {
                compiler.error(valueRange, "unknown fact '\(value)'")
                ok = false
            }
        }
        var filter: BoolCode?
        var filterSource: String?
        if let expr = aggregate.filter {
            if let typed = compiler.compileCondition(expr, scope: .filter, what: "a 'where' filter") {
                filter = typed.boolCode
                filterSource = String(decoding: source.bytes[expr.range.start..<expr.range.end], as: UTF8.self)
            } else {
                ok = false
            }
        }
        guard ok else { return nil }
        let slot = compiler.layout.slot(for: name, type: resultType)
        return AggregateSpec(name: name, function: aggregate.function, valueFact: aggregate.value, valueSlot: valueSlot,
                             keyFacts: aggregate.keys, keySlots: keySlots, windowSeconds: aggregate.windowSeconds,
                             slot: slot, resultType: resultType, filter: filter, filterSource: filterSource,
                             filterNames: aggregate.filter?.referencedNames ?? [],
                             filterRequiredOutcomes: aggregate.filter?.requiredOutcomes)
    }

    // MARK: rules and decide

    private mutating func declareRule(_ rule: RuleDecl) {
        if let other = ruleDecls[rule.name] {
            compiler.error(rule.nameRange, "rule '\(rule.name)' is already defined on line \(line(other.range))")
            return
        }
        if ruleDecls.count >= limits.rulesPerFileMax {
            if ruleDecls.count == limits.rulesPerFileMax {
                compiler.error(rule.nameRange, "file has more than \(limits.rulesPerFileMax) rules")
            }
            ruleDecls[rule.name] = rule
            return
        }
        ruleDecls[rule.name] = rule
        guard let condition = compiler.compileCondition(rule.condition, scope: .rule, what: "a rule's condition") else { return }
        if condition.isConstant {
            constantConditions[rule.name] = condition.boolCode(FactRecord(layout: RecordLayout()))
        }
        let probes = condition.reads.compactMap { name -> RuleSet.Probe? in
            if let feature = compiler.features[name] { return RuleSet.Probe(name: name, read: feature.typed.valueReader) }
            guard let slot = compiler.layout.slot(named: name) else { return nil }
            let index = slot.index
            return RuleSet.Probe(name: name, read: { record in record.value(index) })
        }
        rules.append(RuleSet.Rule(name: rule.name, action: rule.action, isShadow: rule.shadow, line: line(rule.range),
                                  condition: condition.boolCode, predicate: condition.lowered, probes: probes))
    }

    private mutating func declareDecide(_ block: DecideDecl) {
        if let decide {
            compiler.error(block.range, "there is already a decide block on line \(line(decide.range))")
            return
        }
        decide = block
        for (index, entry) in block.entries.enumerated() {
            if let condition = entry.condition {
                guard let typed = compiler.compileCondition(condition, scope: .decide, what: "a decide line") else { continue }
                decideLines.append(.init(action: entry.action, condition: typed.lowered))
            } else {
                decideLines.append(.init(action: entry.action, condition: nil))
                if index < block.entries.count - 1 {
                    compiler.error(block.entries[index + 1].range, "this line can never apply: the line before it has no condition")
                }
            }
        }
    }

    // MARK: tests

    private mutating func declareTest(_ test: TestDecl) {
        var givens: [RuleTest.Given] = []
        var seen: Set<String> = []
        for given in test.givens {
            if !seen.insert(given.name).inserted {
                compiler.error(given.nameRange, "'\(given.name)' is given twice in this test")
                continue
            }
            if let value = testValue(given) { givens.append(value) }
        }
        for (rule, range) in test.expectation?.rules ?? [] where ruleDecls[rule] == nil {
            compiler.error(range, "unknown rule '\(rule)' in expect")
        }
        guard let expectation = test.expectation else { return }
        tests.append(RuleTest(name: test.name, line: line(test.range), givens: givens,
                              expectedAction: expectation.action, expectedRules: expectation.rules.map(\.name)))
    }

    private func testValue(_ given: TestGiven) -> RuleTest.Given? {
        let slot: Int
        let type: ValueType
        if let feature = compiler.features[given.name] {
            guard feature.isAggregate, let index = feature.typed.slot else {
                compiler.error(given.nameRange, "feature '\(given.name)' is computed from other values in this file; give those values instead")
                return nil
            }
            slot = index
            type = feature.typed.type
        } else if let entry = FactCatalog.entry(given.name) {
            type = entry.type
            slot = compiler.layout.slot(for: given.name, type: type)
        } else {
            compiler.error(given.nameRange, "unknown fact or feature '\(given.name)'")
            return nil
        }
        if case .name("missing") = given.value.kind {
            return RuleTest.Given(slot: slot, value: .missing, currencyExponent: nil)
        }
        guard let typed = compiler.compile(given.value, .rule) else { return nil }
        guard typed.isConstant else {
            compiler.error(given.value.range, "a test gives fixed values, such as 250.00, \"NG\", 3 or 400d")
            return nil
        }
        var value = typed
        if value.type != type {
            guard let coerced = compiler.coerceLiteral(typed, to: type, given.value.range) ?? (type == .timestamp && typed.type == .integer ? typed : nil) else {
                if compiler.diagnostics.items.last?.range != given.value.range {
                    compiler.error(given.value.range, "'\(given.name)' is \(type.article), but this is \(typed.type.article)")
                }
                return nil
            }
            value = coerced
        }
        let scratch = FactRecord(layout: RecordLayout())
        var result: Value
        switch value.code {
        case .word(let code): result = code(scratch).map { Value(word: $0, type: type) } ?? .missing
        case .double(let code): result = code(scratch).map { .decimal($0) } ?? .missing
        case .string(let code): result = code(scratch).map { .string($0) } ?? .missing
        case .bool(let code):
            let truth = code(scratch)
            result = truth == TruthValue.missing ? .missing : .bool(truth == TruthValue.isTrue)
        }
        var exponent: Int?
        if given.name == "currency", case .string(let code) = result {
            guard let currency = Currency(code: code) else {
                compiler.error(given.value.range, "\"\(code)\" is not an ISO 4217 currency code")
                return nil
            }
            exponent = currency.minorUnitExponent
        }
        return RuleTest.Given(slot: slot, value: result, currencyExponent: exponent)
    }
}
