/// A compiled rule file: immutable, `Sendable`, shared by every evaluating
/// thread. Each thread brings its own `FactRecord` (see `makeRecord()`).
public final class RuleSet: Sendable {
    public struct Rule: Sendable {
        public let name: String
        public let action: RuleAction
        public let isShadow: Bool
        /// 1-based line of the rule in its file.
        public let line: Int
        let condition: BoolCode
        let predicate: Predicate
        let probes: [Probe]
    }

    /// A value to report when a rule fires: a fact or feature and how to read it.
    struct Probe: Sendable {
        let name: String
        let read: @Sendable (FactRecord) -> Value
    }

    /// A `let` whose value the engine computes from the rule file (not a counter).
    public struct DerivedFeature: Sendable {
        public let name: String
        let read: @Sendable (FactRecord) -> Value
        public func value(in record: FactRecord) -> Value { read(record) }
    }

    struct DecideLine: Sendable {
        let action: Action
        /// Nil for the final line without a condition.
        let condition: Predicate?
    }

    public let path: String
    public let layout: RecordLayout
    public let rules: [Rule]
    /// Velocity features the counters must fill before evaluation, in file order.
    public let aggregates: [AggregateSpec]
    public let derivedFeatures: [DerivedFeature]
    /// All `let` names in file order (for `--emit-features`).
    public let featureNames: [String]
    public let tests: [RuleTest]
    /// Hex XXH3-128 of the source and the contents of its list files.
    public let hash: String
    let decideLines: [DecideLine]

    // The hot path: every condition in one flat program, and per-rule kinds and points.
    private let program: Program
    private let decideProgram: Program
    private let decideActions: [Action]
    /// The usual decide block, `ACTION if score OP N` lines and a final
    /// default, as plain (comparison, threshold) pairs; nil for anything else.
    private let scoreThresholds: [(comparison: UInt8, threshold: Int64, action: Action)]?
    private let scoreSlot: Int?
    private let kinds: [UInt8]
    private let points: [Int64]

    private static let kindBlock: UInt8 = 0, kindAllow: UInt8 = 1, kindChallenge: UInt8 = 2,
                       kindReview: UInt8 = 3, kindScore: UInt8 = 4, kindShadow: UInt8 = 5

    init(path: String, layout: RecordLayout, rules: [Rule], aggregates: [AggregateSpec], derivedFeatures: [DerivedFeature],
         featureNames: [String], decideLines: [DecideLine], tests: [RuleTest], hash: String) {
        self.path = path
        self.layout = layout
        self.rules = rules
        self.aggregates = aggregates
        self.derivedFeatures = derivedFeatures
        self.featureNames = featureNames
        self.decideLines = decideLines
        self.tests = tests
        self.hash = hash
        program = Program(conditions: rules.map(\.predicate))
        decideProgram = Program(conditions: decideLines.map { $0.condition ?? .constant(TruthValue.isTrue) })
        decideActions = decideLines.map(\.action)
        scoreSlot = layout.slot(named: "score")?.index
        scoreThresholds = RuleSet.thresholds(decideLines, scoreSlot: scoreSlot)
        kinds = rules.map { rule in
            if rule.isShadow { return RuleSet.kindShadow }
            switch rule.action {
            case .block: return RuleSet.kindBlock
            case .allow: return RuleSet.kindAllow
            case .challenge: return RuleSet.kindChallenge
            case .review: return RuleSet.kindReview
            case .score: return RuleSet.kindScore
            }
        }
        points = rules.map { if case .score(let p) = $0.action { p } else { 0 } }
    }

    /// A record laid out for this rule set, all slots missing.
    public func makeRecord() -> FactRecord { FactRecord(layout: layout) }

    /// Scores one transaction. See README "Action precedence":
    /// a block rule wins; else an allow rule; else the most severe of the
    /// challenge and review rules and the decide block applied to the score.
    /// Shadow rules are evaluated and reported but never act.
    public func evaluate(_ record: FactRecord, into result: inout Evaluation) {
        if !result.fired.isEmpty { result.fired.removeAll(keepingCapacity: true) }
        var score: Int64 = 0
        var blocked = false, allowed = false
        var strongest = Action.allow
        kinds.withUnsafeBufferPointer { kinds in
            points.withUnsafeBufferPointer { points in
                program.run(record) { index in
                    result.fired.append(Int32(index))
                    switch kinds[index] {
                    case RuleSet.kindBlock: blocked = true
                    case RuleSet.kindAllow: allowed = true
                    case RuleSet.kindChallenge: if strongest < .challenge { strongest = .challenge }
                    case RuleSet.kindReview: if strongest < .review { strongest = .review }
                    case RuleSet.kindScore: score &+= points[index]
                    default: break
                    }
                }
            }
        }
        result.score = score
        if blocked {
            result.action = .block
        } else if allowed {
            result.action = .allow
        } else {
            if let scoreSlot { record.setWord(scoreSlot, score) }
            let decided = decide(record, score: score)
            result.action = max(strongest, decided)
        }
    }

    public func evaluate(_ record: FactRecord) -> Evaluation {
        var result = Evaluation()
        evaluate(record, into: &result)
        return result
    }

    private static func thresholds(_ lines: [DecideLine], scoreSlot: Int?) -> [(comparison: UInt8, threshold: Int64, action: Action)]? {
        var thresholds: [(comparison: UInt8, threshold: Int64, action: Action)] = []
        for line in lines {
            switch line.condition {
            case nil: thresholds.append((255, 0, line.action))
            case .wordCompare(let op, let slot, let constant)? where slot == scoreSlot:
                thresholds.append((op.comparisonCode, constant, line.action))
            default: return nil
            }
        }
        return thresholds
    }

    /// The action of the first decide line that holds; allow when none does.
    private func decide(_ record: FactRecord, score: Int64) -> Action {
        if let scoreThresholds {
            for line in scoreThresholds where line.comparison == 255 || Program.compare(line.comparison, score, line.threshold) {
                return line.action
            }
            return .allow
        }
        var first = Int.max
        decideProgram.run(record) { index in first = min(first, index) }
        return first == Int.max ? .allow : decideActions[first]
    }

    /// The fired rules with the values that made them fire; call on the same
    /// record right after `evaluate` (it reads the record's current values).
    public func explain(_ evaluation: Evaluation, record: FactRecord) -> [FiredRule] {
        evaluation.fired.map { index in
            let rule = rules[Int(index)]
            return FiredRule(name: rule.name, action: rule.action, isShadow: rule.isShadow,
                             values: rule.probes.map { ($0.name, $0.read(record)) })
        }
    }
}

/// The result of one evaluation. Reuse one per thread to avoid allocating.
public struct Evaluation: Sendable {
    public var action: Action = .allow
    /// The sum of the score points of the (non-shadow) rules that fired.
    public var score: Int64 = 0
    /// Indices into `RuleSet.rules` of every rule that fired, shadow rules included.
    public var fired: [Int32] = []

    public init() {
        fired.reserveCapacity(16)
    }
}

public struct FiredRule: Sendable {
    public let name: String
    public let action: RuleAction
    public let isShadow: Bool
    public let values: [(name: String, value: Value)]
}

/// A velocity feature: what the counters compute and which slot receives it.
public struct AggregateSpec: Sendable {
    public let name: String
    public let function: AggregateFunction
    /// The aggregated fact (nil for count) and its slot in the record.
    public let valueFact: String?
    public let valueSlot: Int?
    public let keyFacts: [String]
    public let keySlots: [Int]
    public let windowSeconds: Int64
    /// Receives the feature's value before evaluation.
    public let slot: Int
    public let resultType: ValueType
    let filter: BoolCode?
    public let filterSource: String?
    /// The facts and features the `where` reads.
    public let filterNames: Set<String>
    /// The only `outcome` values the `where` can pass with, when it says (see `Expr.requiredOutcomes`).
    public let filterRequiredOutcomes: Set<String>?
    /// Whether the `where` reads `outcome`: such features also count the outcome
    /// events that arrive after a decision (declines, chargebacks, fraud labels).
    public var filterReadsOutcome: Bool { filterNames.contains("outcome") }

    /// Whether a payment (its facts in `record`) counts toward this feature.
    public func counts(_ record: FactRecord) -> Bool {
        guard let filter else { return true }
        return filter(record) == TruthValue.isTrue
    }
}
