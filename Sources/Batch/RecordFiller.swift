import Risk
import Rules

/// Copies one row of a `BatchTable` into a rule set's `FactRecord`: mapped
/// facts into their slots, then precomputed features. `outcome` and `label`
/// stay missing at decision time (the future is not known then).
///
/// The columns are copied once into plain buffers, so filling a row touches no
/// reference counts: several threads fill rows at once without contending.
final class RecordFiller: @unchecked Sendable {
    /// One fact slot's source: words and presence, or string ids and the strings.
    private struct SlotSource {
        let slot: Int
        let isString: Bool
        let words: UnsafeMutablePointer<Int64>?
        let present: UnsafeMutablePointer<Bool>?
        let ids: UnsafeMutablePointer<Int32>?
        let strings: UnsafeMutablePointer<String>?
    }

    private struct FeatureSource {
        let slot: Int
        let words: UnsafeMutablePointer<Int64>
        let present: UnsafeMutablePointer<Bool>
    }

    private let table: BatchTable
    private var sources: [SlotSource] = []
    private var features: [FeatureSource] = []
    /// Keeps the buffers `features` points into alive.
    private var featureColumns: [ColumnarReplay.Column] = []
    private var owned: [(pointer: UnsafeMutableRawPointer, deinitialize: () -> Void)] = []
    private let times: UnsafeMutablePointer<Int64>
    private let exponents: UnsafeMutablePointer<UInt8>?
    private let defaultExponent: Int
    private let timeSlot: Int?
    /// `currency` read by rules but not mapped: the run's `--currency`.
    private let defaultCurrencySlot: Int?
    private let defaultCurrencyCode: String
    private let outcomeColumn: FactColumn?
    /// For `--emit-features`: each `let` name's slot (aggregates) or derived feature.
    private let featureTextSources: [(slot: Int?, derived: RuleSet.DerivedFeature?)]

    /// `onlySlots`: copy just these slots (filters read a few facts); nil for all.
    init(ruleSet: RuleSet, table: BatchTable, onlySlots: Set<Int>? = nil) {
        self.table = table
        let layout = ruleSet.layout
        let wanted: (Int) -> Bool = { slot in onlySlots?.contains(slot) ?? true }
        times = RecordFiller.copy(table.times, into: &owned)
        if let currencyExponents = table.currencyExponents {
            exponents = RecordFiller.copy(currencyExponents, into: &owned)
        } else {
            exponents = nil
        }
        defaultExponent = table.defaultCurrency.minorUnitExponent
        for slot in layout.slots where slot.name != "outcome" && slot.name != "label" && wanted(slot.index) {
            guard let column = table.columns[slot.name] else { continue }
            if column.type == .string {
                sources.append(SlotSource(slot: slot.index, isString: true, words: nil, present: nil,
                                          ids: RecordFiller.copy(column.stringIDs, into: &owned),
                                          strings: RecordFiller.copy(column.strings.strings, into: &owned)))
            } else {
                sources.append(SlotSource(slot: slot.index, isString: false,
                                          words: RecordFiller.copy(column.words, into: &owned),
                                          present: RecordFiller.copy(column.present, into: &owned), ids: nil, strings: nil))
            }
        }
        timeSlot = layout.slot(named: "time").map(\.index).flatMap { wanted($0) ? $0 : nil }
        defaultCurrencySlot = table.columns["currency"] == nil
            ? layout.slot(named: "currency").map(\.index).flatMap { wanted($0) ? $0 : nil } : nil
        defaultCurrencyCode = table.defaultCurrency.code
        outcomeColumn = table.columns["outcome"]
        let derivedByName = Dictionary(ruleSet.derivedFeatures.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let aggregateSlots = Dictionary(ruleSet.aggregates.map { ($0.name, $0.slot) }, uniquingKeysWith: { first, _ in first })
        featureTextSources = ruleSet.featureNames.map { (aggregateSlots[$0], derivedByName[$0]) }
    }

    deinit {
        for allocation in owned { allocation.deinitialize() }
    }

    private static func copy<Element>(_ array: [Element], into owned: inout [(pointer: UnsafeMutableRawPointer, deinitialize: () -> Void)]) -> UnsafeMutablePointer<Element> {
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(1, array.count))
        _ = UnsafeMutableBufferPointer(start: pointer, count: array.count).initialize(from: array)
        let count = array.count
        owned.append((UnsafeMutableRawPointer(pointer), {
            pointer.deinitialize(count: count)
            pointer.deallocate()
        }))
        return pointer
    }

    /// Whether every row fills the same (no fact slot is copied at all).
    var fillsNothing: Bool { sources.isEmpty && timeSlot == nil && defaultCurrencySlot == nil }

    /// Takes the precomputed feature columns (nil entries are filled elsewhere).
    func setFeatureColumns(_ plan: CounterPlan, _ columns: [ColumnarReplay.Column?]) {
        featureColumns = columns.compactMap { $0 }
        features = plan.features.indices.compactMap { index in
            guard let column = columns[index] else { return nil }
            return FeatureSource(slot: plan.features[index].slot, words: column.words.baseAddress!, present: column.present.baseAddress!)
        }
    }

    /// The row's facts and precomputed features (all other slots missing).
    @inline(__always)
    func fill(_ record: FactRecord, position: Int) {
        record.reset()
        record.currencyExponent = exponents.map { Int($0[position]) } ?? defaultExponent
        sources.withUnsafeBufferPointer { sources in
            for source in sources {
                if source.isString {
                    let id = source.ids![position]
                    if id >= 0 { record.setString(source.slot, source.strings![Int(id)]) }
                } else if source.present![position] {
                    record.setWord(source.slot, source.words![position])
                }
            }
        }
        features.withUnsafeBufferPointer { features in
            for feature in features where feature.present[position] { record.setWord(feature.slot, feature.words[position]) }
        }
        if let timeSlot { record.setTimestamp(timeSlot, epochSeconds: times[position]) }
        if let defaultCurrencySlot { record.setString(defaultCurrencySlot, defaultCurrencyCode) }
    }

    /// What really happened to the payment, from a mapped `outcome` column.
    func historicalOutcome(_ position: Int) -> String? {
        guard let outcomeColumn else { return nil }
        let id = outcomeColumn.stringIDs[position]
        return id >= 0 ? outcomeColumn.strings.strings[Int(id)] : nil
    }

    /// Every `let` feature's value as text ("" when missing), after evaluation.
    func featureTexts(_ record: FactRecord, position: Int) -> [String] {
        featureTextSources.map { source in
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
