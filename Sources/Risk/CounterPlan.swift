import CXXHash
import Rules

/// A rule set's aggregates prepared for the counter stores: each with a seed
/// naming its definition (so two rule sets with the same `let` share counters,
/// and a hot reload keeps them), its bucket width, and its slots.
public struct CounterPlan: Sendable {
    public struct Feature: Sendable {
        public let name: String
        public let function: AggregateFunction
        public let keySlots: [Int]
        public let keyTypes: [ValueType]
        public let valueSlot: Int?
        public let valueType: ValueType?
        public let windowSeconds: Int64
        public let bucketSeconds: Int64
        public let slot: Int
        public let resultType: ValueType
        /// XXH3 of the definition: function, value, keys, window and `where` text.
        public let seed: UInt64
        public let spec: AggregateSpec

        /// sum/avg/min/max keep values per bucket; count and distinct only counts.
        var usesValueBuckets: Bool { function == .sum || function == .avg || function == .min || function == .max }
    }

    public let features: [Feature]
    public let limits: CounterLimits
    /// The longest window: how much history a rebuild has to replay.
    public let longestWindowSeconds: Int64

    public init(ruleSet: RuleSet, limits: CounterLimits = CounterLimits()) {
        self.limits = limits
        let slots = ruleSet.layout.slots
        features = ruleSet.aggregates.map { spec in
            let definition = [spec.function.rawValue, spec.valueFact ?? "", spec.keyFacts.joined(separator: ","),
                              String(spec.windowSeconds), spec.filterSource ?? ""].joined(separator: "|")
            let seed = Array(definition.utf8).withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
            let bucketSeconds = spec.windowSeconds <= limits.exactWindowSecondsMax
                ? 1 : (spec.windowSeconds + limits.bucketsPerLongWindow - 1) / limits.bucketsPerLongWindow
            return Feature(
                name: spec.name, function: spec.function, keySlots: spec.keySlots,
                keyTypes: spec.keySlots.map { slots[$0].type }, valueSlot: spec.valueSlot,
                valueType: spec.valueSlot.map { slots[$0].type }, windowSeconds: spec.windowSeconds,
                bucketSeconds: bucketSeconds, slot: spec.slot, resultType: spec.resultType, seed: seed, spec: spec)
        }
        longestWindowSeconds = features.map(\.windowSeconds).max() ?? 0
    }

    private init(features: [Feature], limits: CounterLimits) {
        self.features = features
        self.limits = limits
        longestWindowSeconds = features.map(\.windowSeconds).max() ?? 0
    }

    /// The same plan with only the features `isIncluded` keeps.
    public func subset(_ isIncluded: (Feature) -> Bool) -> CounterPlan {
        CounterPlan(features: features.filter(isIncluded), limits: limits)
    }

    /// The counter key of a payment for one feature: XXH3 of its key facts, seeded
    /// by the feature's definition. Nil when a key fact is missing.
    @inlinable
    public func key(_ feature: Feature, in record: FactRecord) -> UInt64? {
        var hash = feature.seed
        for (slot, type) in zip(feature.keySlots, feature.keyTypes) {
            guard let part = CounterPlan.hash(slot: slot, type: type, in: record, seed: hash) else { return nil }
            hash = part
        }
        return hash
    }

    /// A value's hash (distinct counts these), or a key part chained on `seed`.
    @inlinable
    public static func hash(slot: Int, type: ValueType, in record: FactRecord, seed: UInt64 = 0) -> UInt64? {
        if type == .string {
            guard var text = record.string(slot) else { return nil }
            return text.withUTF8 { XXH3_64bits_withSeed($0.baseAddress, $0.count, seed) }
        }
        guard var word = record.word(slot) else { return nil }
        return withUnsafeBytes(of: &word) { XXH3_64bits_withSeed($0.baseAddress, $0.count, seed) }
    }

    /// Whether the payment passes the feature's `where`.
    public func counts(_ feature: Feature, _ record: FactRecord) -> Bool { feature.spec.counts(record) }
}
