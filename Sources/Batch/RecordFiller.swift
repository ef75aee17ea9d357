import Risk
import Rules

/// Copies one row of a `BatchTable` into a rule set's `FactRecord`: mapped
/// facts into their slots, then precomputed features. `outcome` and `label`
/// stay missing at decision time (the future is not known then).
struct RecordFiller: @unchecked Sendable {
    private let table: BatchTable
    private let factSlots: [(slot: Int, column: FactColumn)]
    private let timeSlot: Int?
    /// `currency` read by rules but not mapped: the run's `--currency`.
    private let defaultCurrencySlot: Int?
    private let defaultCurrencyCode: String
    private let outcomeColumn: FactColumn?
    /// For `--emit-features`: each `let` name's slot (aggregates) or derived feature.
    private let featureSources: [(slot: Int?, derived: RuleSet.DerivedFeature?)]

    init(ruleSet: RuleSet, table: BatchTable) {
        self.table = table
        let layout = ruleSet.layout
        var factSlots: [(slot: Int, column: FactColumn)] = []
        for slot in layout.slots where slot.name != "outcome" && slot.name != "label" {
            if let column = table.columns[slot.name] { factSlots.append((slot.index, column)) }
        }
        self.factSlots = factSlots
        timeSlot = layout.slot(named: "time")?.index
        defaultCurrencySlot = table.columns["currency"] == nil ? layout.slot(named: "currency")?.index : nil
        defaultCurrencyCode = table.defaultCurrency.code
        outcomeColumn = table.columns["outcome"]
        let derivedByName = Dictionary(ruleSet.derivedFeatures.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let aggregateSlots = Dictionary(ruleSet.aggregates.map { ($0.name, $0.slot) }, uniquingKeysWith: { first, _ in first })
        featureSources = ruleSet.featureNames.map { (aggregateSlots[$0], derivedByName[$0]) }
    }

    /// The row's facts (all other slots missing).
    @inline(__always)
    func fill(_ record: FactRecord, position: Int) {
        record.reset()
        record.currencyExponent = table.currencyExponent(position)
        for (slot, column) in factSlots { column.write(row: position, into: record, slot: slot) }
        if let timeSlot { record.setTimestamp(timeSlot, epochSeconds: table.times[position]) }
        if let defaultCurrencySlot { record.setString(defaultCurrencySlot, defaultCurrencyCode) }
    }

    /// The precomputed feature values of the row.
    @inline(__always)
    func fillFeatures(_ record: FactRecord, position: Int, plan: CounterPlan, columns: [ColumnarReplay.Column?]) {
        for (index, feature) in plan.features.enumerated() {
            guard let column = columns[index] else { continue }
            if column.present[position] { record.setWord(feature.slot, column.words[position]) } else { record.setMissing(feature.slot) }
        }
    }

    /// What really happened to the payment, from a mapped `outcome` column.
    func historicalOutcome(_ position: Int) -> String? {
        guard let outcomeColumn else { return nil }
        let id = outcomeColumn.stringIDs[position]
        return id >= 0 ? outcomeColumn.strings.strings[Int(id)] : nil
    }

    /// Every `let` feature's value as text ("" when missing), after evaluation.
    func featureTexts(_ record: FactRecord, position: Int) -> [String] {
        featureSources.map { source in
            let value: Value
            if let slot = source.slot {
                value = record.value(slot)
            } else if let derived = source.derived {
                value = derived.value(in: record)
            } else {
                value = .missing
            }
            if case .missing = value { return "" }
            return value.formatted(currencyExponent: record.currencyExponent)
        }
    }
}
