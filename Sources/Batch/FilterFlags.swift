import Risk
import TollgateCore
import Rules

/// For every feature and row: whether the row counts at its own time, and
/// whether its fraud label (arriving later) counts. A `where` on `outcome`
/// sees the decision-time outcome: a mapped outcome column if there is one,
/// else this run's own decision (then the feature depends on the decisions
/// unless its filter gives the same answer for "authorized" and "declined").
struct FilterFlags {
    var countsAtDecision: [[Bool]]
    var countsAsFraud: [[Bool]]
    var isDecisionDependent: [Bool]

    static func compute(ruleSet: RuleSet, plan: CounterPlan, table: BatchTable, filler: RecordFiller, threadCount: Int,
                        withLabels: Bool) -> FilterFlags {
        let rowCount = table.rowCount
        let features = plan.features
        let filtered = features.indices.filter { features[$0].spec.filterSource != nil }
        let hasOutcomeColumn = table.columns["outcome"] != nil
        // Per filtered feature: pass at decision, pass as "declined" (to detect dependence), pass as "fraud".
        let atDecision = filtered.map { _ in ResultArray<Bool>(count: rowCount, initial: false) }
        let asDeclined = filtered.map { _ in ResultArray<Bool>(count: rowCount, initial: false) }
        let asFraud = filtered.map { _ in ResultArray<Bool>(count: rowCount, initial: false) }
        if !filtered.isEmpty {
            let chunkCount = min(threadCount, max(1, rowCount / 10_000 + 1))
            ParallelThreads.run(count: chunkCount) { chunkIndex in
                let range = (rowCount * chunkIndex / chunkCount)..<(rowCount * (chunkIndex + 1) / chunkCount)
                let record = ruleSet.makeRecord()
                let outcomeSlot = record.layout.slot(named: "outcome")?.index
                for position in range {
                    filler.fill(record, position: position)
                    for (index, featureIndex) in filtered.enumerated() {
                        let feature = features[featureIndex]
                        guard feature.spec.filterReadsOutcome, let outcomeSlot else {
                            let passes = feature.spec.counts(record)
                            atDecision[index].set(position, passes)
                            asDeclined[index].set(position, passes)
                            asFraud[index].set(position, passes)
                            continue
                        }
                        if hasOutcomeColumn {
                            if let outcome = filler.historicalOutcome(position) {
                                record.setString(outcomeSlot, outcome)
                            } else {
                                record.setMissing(outcomeSlot)
                            }
                            let passes = feature.spec.counts(record)
                            atDecision[index].set(position, passes)
                            asDeclined[index].set(position, passes)
                        } else {
                            record.setString(outcomeSlot, BatchScorer.authorizedOutcome)
                            atDecision[index].set(position, feature.spec.counts(record))
                            record.setString(outcomeSlot, BatchScorer.declinedOutcome)
                            asDeclined[index].set(position, feature.spec.counts(record))
                        }
                        if withLabels {
                            record.setString(outcomeSlot, BatchScorer.fraudOutcome)
                            asFraud[index].set(position, feature.spec.counts(record))
                        }
                        record.setMissing(outcomeSlot)
                    }
                }
            }
        }
        var flags = FilterFlags(countsAtDecision: [], countsAsFraud: [], isDecisionDependent: [])
        let allTrue = [Bool](repeating: true, count: rowCount)
        for featureIndex in features.indices {
            if let index = filtered.firstIndex(of: featureIndex) {
                let decision = atDecision[index].values
                flags.countsAtDecision.append(decision)
                flags.countsAsFraud.append(asFraud[index].values)
                flags.isDecisionDependent.append(decision != asDeclined[index].values)
            } else {
                flags.countsAtDecision.append(allTrue)
                flags.countsAsFraud.append(allTrue)
                flags.isDecisionDependent.append(false)
            }
        }
        return flags
    }
}
