import Risk
import Rules
import TollgateCore

/// For every feature and row: whether the row counts at its own time, and
/// whether its fraud label (arriving later) counts. A `where` on `outcome`
/// sees the decision-time outcome: a mapped outcome column if there is one,
/// else this run's own decision (then the feature depends on the decisions
/// unless its filter gives the same answer for "authorized" and "declined").
struct FilterFlags {
    var countsAtDecision: [[Bool]]
    var countsAsFraud: [[Bool]]
    var isDecisionDependent: [Bool]

    static func compute(ruleSet: RuleSet, plan: CounterPlan, table: BatchTable, threadCount: Int,
                        withLabels: Bool) -> FilterFlags {
        let rowCount = table.rowCount
        let features = plan.features
        let filtered = features.indices.filter { features[$0].spec.filterSource != nil }
        let hasOutcomeColumn = table.columns["outcome"] != nil
        // Per filtered feature: pass at decision, pass as "declined" (to detect dependence), pass as "fraud".
        let atDecision = filtered.map { _ in ResultArray<Bool>(count: rowCount, initial: false) }
        let asDeclined = filtered.map { _ in ResultArray<Bool>(count: rowCount, initial: false) }
        let asFraud = filtered.map { _ in ResultArray<Bool>(count: rowCount, initial: false) }
        // Threads split the features (not the rows), so no two threads share a filter's closures.
        let workers = min(threadCount, filtered.count)
        if workers > 0 {
            ParallelThreads.run(count: workers) { worker in
                let mine = filtered.indices.filter { $0 % workers == worker }
                let specs = mine.map { features[filtered[$0]].spec }
                let readSlots = Set(specs.flatMap(\.filterNames).compactMap { ruleSet.layout.slot(named: $0)?.index })
                let filler = RecordFiller(ruleSet: ruleSet, table: table, onlySlots: readSlots)
                // No filter reads a fact of the row: every row passes as the first does.
                let constant = filler.fillsNothing && !hasOutcomeColumn
                let record = ruleSet.makeRecord()
                let outcomeSlot = ruleSet.layout.slot(named: "outcome")?.index
                // Filters that need an outcome no decision has ("fraud") pass at decision time for no row,
                // and their label events matter only for rows labelled fraud.
                let decisionOutcomes: Set<String> = hasOutcomeColumn
                    ? Set(table.columns["outcome"]!.strings.strings) : [BatchScorer.authorizedOutcome, BatchScorer.declinedOutcome]
                let neverAtDecision = specs.map { spec in spec.filterRequiredOutcomes.map { $0.isDisjoint(with: decisionOutcomes) } ?? false }
                let labels = table.labels
                let allNeverAtDecision = !constant && neverAtDecision.allSatisfy { $0 }
                for position in 0..<rowCount {
                    if constant && position > 0 {
                        for index in mine {
                            atDecision[index].set(position, atDecision[index].get(0))
                            asDeclined[index].set(position, asDeclined[index].get(0))
                            asFraud[index].set(position, asFraud[index].get(0))
                        }
                        continue
                    }
                    // Rows where no filter needs evaluating skip filling the record.
                    // A fraud label's filter result matters on labelled rows only (and on the
                    // first row when it stands for all).
                    let labelMatters = withLabels && (constant || labels![position])
                    if allNeverAtDecision && !labelMatters { continue }
                    filler.fill(record, position: position)
                    for (local, (spec, index)) in zip(specs, mine).enumerated() {
                        guard spec.filterReadsOutcome, let outcomeSlot else {
                            let passes = spec.counts(record)
                            atDecision[index].set(position, passes)
                            asDeclined[index].set(position, passes)
                            asFraud[index].set(position, passes)
                            continue
                        }
                        if neverAtDecision[local] {
                            // Already false; only a fraud label can count.
                            if labelMatters {
                                record.setString(outcomeSlot, BatchScorer.fraudOutcome)
                                asFraud[index].set(position, spec.counts(record))
                                record.setMissing(outcomeSlot)
                            }
                            continue
                        }
                        if hasOutcomeColumn {
                            if let outcome = filler.historicalOutcome(position) {
                                record.setString(outcomeSlot, outcome)
                            } else {
                                record.setMissing(outcomeSlot)
                            }
                            let passes = spec.counts(record)
                            atDecision[index].set(position, passes)
                            asDeclined[index].set(position, passes)
                        } else {
                            record.setString(outcomeSlot, BatchScorer.authorizedOutcome)
                            atDecision[index].set(position, spec.counts(record))
                            record.setString(outcomeSlot, BatchScorer.declinedOutcome)
                            asDeclined[index].set(position, spec.counts(record))
                        }
                        if labelMatters {
                            record.setString(outcomeSlot, BatchScorer.fraudOutcome)
                            asFraud[index].set(position, spec.counts(record))
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
