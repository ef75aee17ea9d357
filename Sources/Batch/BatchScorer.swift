import Foundation
import Risk
import Rules
import Synchronization
import TollgateCore

/// Scores a loaded history with one rule set, each row as it would have been
/// scored online at its own time: features from counters replayed in time
/// order (the row itself excluded), fraud labels counted only `labelDelay`
/// after their payment.
///
/// How: features are computed a whole column at a time (`ColumnarReplay`, in
/// parallel over features), then rows are evaluated in parallel. A feature
/// whose `where` depends on this run's own decisions (`outcome == "declined"`
/// with no outcome column) cannot be precomputed; then rows are evaluated in
/// order with those features in an online counter store.
public struct BatchScorer {
    public let ruleSet: RuleSet
    public let labelDelaySeconds: Int64
    public var emitFeatures = false
    public var threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var progress: ProgressReporter?

    public static let fraudOutcome = "fraud"
    public static let declinedOutcome = "declined"
    public static let authorizedOutcome = "authorized"

    public init(ruleSet: RuleSet, labelDelaySeconds: Int64) {
        self.ruleSet = ruleSet
        self.labelDelaySeconds = labelDelaySeconds
    }

    public func score(_ table: BatchTable) -> ScoreResult {
        let started = DispatchTime.now().uptimeNanoseconds
        var phases: [(phase: String, seconds: Double)] = []
        var phaseStarted = started
        func endPhase(_ name: String) {
            let now = DispatchTime.now().uptimeNanoseconds
            phases.append((name, Double(now - phaseStarted) / 1e9))
            phaseStarted = now
        }
        let plan = CounterPlan(ruleSet: ruleSet)
        let filler = RecordFiller(ruleSet: ruleSet, table: table)
        progress?.update(phase: "features", fraction: 0)
        let flags = FilterFlags.compute(ruleSet: ruleSet, plan: plan, table: table, threadCount: threadCount,
                                        withLabels: table.hasLabels)
        endPhase("filters")
        let columns = replayFeatures(plan: plan, table: table, flags: flags)
        filler.setFeatureColumns(plan, columns)
        endPhase("features")
        progress?.update(phase: "rules", fraction: 0)
        let dependent = plan.features.indices.filter { flags.isDecisionDependent[$0] }
        var result = dependent.isEmpty
            ? evaluateInParallel(table: table, filler: filler)
            : evaluateInOrder(table: table, filler: filler, plan: plan,
                              onlinePlan: plan.subset { feature in dependent.contains { plan.features[$0].name == feature.name } })
        endPhase("rules")
        result.phaseSeconds = phases
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return result
    }

    // MARK: features

    /// Each precomputable feature's column (nil for decision-dependent ones).
    private func replayFeatures(plan: CounterPlan, table: BatchTable, flags: FilterFlags) -> [ColumnarReplay.Column?] {
        let groups = KeyGroups(table: table)
        // Label events in replay order: (payment time + delay, position), already sorted.
        var fraudPositions: [Int32] = []
        if let labels = table.labels {
            for position in 0..<table.rowCount where labels[position] { fraudPositions.append(Int32(position)) }
        }
        let inputs: [ColumnarReplay.Input?] = plan.features.indices.map { index in
            let feature = plan.features[index]
            guard !flags.isDecisionDependent[index] else { return nil }
            let (groupIDs, groupCount) = groups.groups(for: feature.spec.keyFacts)
            var input = ColumnarReplay.Input(groups: groupIDs, groupCount: groupCount,
                                             countsAtDecision: flags.countsAtDecision[index])
            if let valueFact = feature.spec.valueFact {
                if feature.function == .distinct {
                    input.valueHashes = ValueColumns.hashes(of: valueFact, in: table)
                } else {
                    input.values = ValueColumns.words(of: valueFact, in: table)
                }
            }
            if feature.spec.filterReadsOutcome {
                let passes = flags.countsAsFraud[index]
                input.outcomeEvents = fraudPositions.compactMap { position in
                    passes[Int(position)] ? (table.times[Int(position)] + labelDelaySeconds, position) : nil
                }
            }
            return input
        }
        let columns = ResultSlots<ColumnarReplay.Column?>(count: plan.features.count, initial: nil)
        let next = Atomic<Int>(0)
        let times = table.times
        let features = plan.features
        let limits = plan.limits
        ParallelThreads.run(count: min(threadCount, max(1, features.count))) { _ in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < features.count else { return }
                guard let input = inputs[index] else { continue }
                columns.set(index, ColumnarReplay.replay(features[index], times: times, input: input, limits: limits))
            }
        }
        return columns.values
    }

    // MARK: evaluation

    /// Per-thread output of a range of rows.
    private struct Chunk {
        var firedCounts: [Int32] = []
        var firedRules: [Int32] = []
        var featureTexts: [[String]] = []
    }

    private func evaluateInParallel(table: BatchTable, filler: RecordFiller) -> ScoreResult {
        let rowCount = table.rowCount
        let actions = ResultArray<UInt8>(count: rowCount, initial: 0)
        let scores = ResultArray<Int64>(count: rowCount, initial: 0)
        let chunkCount = min(threadCount, max(1, rowCount / 10_000 + 1))
        let chunks = ResultSlots<Chunk>(count: chunkCount, initial: Chunk())
        let ruleSet = self.ruleSet
        let emit = emitFeatures
        ParallelThreads.run(count: chunkCount) { chunkIndex in
            let range = (rowCount * chunkIndex / chunkCount)..<(rowCount * (chunkIndex + 1) / chunkCount)
            let record = ruleSet.makeRecord()
            var evaluation = Evaluation()
            var chunk = Chunk()
            chunk.firedCounts.reserveCapacity(range.count)
            for position in range {
                filler.fill(record, position: position)
                ruleSet.evaluate(record, into: &evaluation)
                actions.set(position, UInt8(evaluation.action.severity))
                scores.set(position, evaluation.score)
                chunk.firedCounts.append(Int32(evaluation.fired.count))
                chunk.firedRules.append(contentsOf: evaluation.fired)
                if emit { chunk.featureTexts.append(filler.featureTexts(record, position: position)) }
            }
            chunks.set(chunkIndex, chunk)
        }
        return assemble(actions: actions.values, scores: scores.values, chunks: chunks.values)
    }

    /// Rows one after another, the decision-dependent features in an online
    /// store that sees each decision's outcome (and labels after the delay).
    private func evaluateInOrder(table: BatchTable, filler: RecordFiller, plan: CounterPlan, onlinePlan: CounterPlan) -> ScoreResult {
        let rowCount = table.rowCount
        var actions = [UInt8](repeating: 0, count: rowCount)
        var scores = [Int64](repeating: 0, count: rowCount)
        var chunk = Chunk()
        let store = InMemoryCounterStore(limits: plan.limits)
        let record = ruleSet.makeRecord()
        let outcomeRecord = ruleSet.makeRecord()
        var evaluation = Evaluation()
        let outcomeSlot = ruleSet.layout.slot(named: "outcome")?.index
        var labelEvents: [(time: Int64, position: Int32)] = []
        if let labels = table.labels {
            for position in 0..<rowCount where labels[position] {
                labelEvents.append((table.times[position] + labelDelaySeconds, Int32(position)))
            }
        }
        var nextLabel = 0
        // Outcome events count the payment's facts, not its features.
        let labelFiller = RecordFiller(ruleSet: ruleSet, table: table)
        for position in 0..<rowCount {
            let time = table.times[position]
            while nextLabel < labelEvents.count,
                  ColumnarReplay.outcomeEvent(labelEvents[nextLabel], precedesRowAt: time, position: position) {
                let event = labelEvents[nextLabel]
                labelFiller.fill(outcomeRecord, position: Int(event.position))
                if let outcomeSlot { outcomeRecord.setString(outcomeSlot, BatchScorer.fraudOutcome) }
                store.recordOutcome(onlinePlan, from: outcomeRecord, at: event.time)
                nextLabel += 1
            }
            filler.fill(record, position: position)
            store.readFeatures(onlinePlan, into: record, at: time)
            ruleSet.evaluate(record, into: &evaluation)
            actions[position] = UInt8(evaluation.action.severity)
            scores[position] = evaluation.score
            chunk.firedCounts.append(Int32(evaluation.fired.count))
            chunk.firedRules.append(contentsOf: evaluation.fired)
            if emitFeatures { chunk.featureTexts.append(filler.featureTexts(record, position: position)) }
            if let outcomeSlot {
                let outcome = filler.historicalOutcome(position)
                    ?? (evaluation.action == .block ? BatchScorer.declinedOutcome : BatchScorer.authorizedOutcome)
                record.setString(outcomeSlot, outcome)
            }
            store.recordEvent(onlinePlan, from: record, at: time)
            if position & 0xFFFF == 0 { progress?.update(phase: "rules", fraction: Double(position) / Double(rowCount)) }
        }
        return assemble(actions: actions, scores: scores, chunks: [chunk])
    }

    private func assemble(actions: [UInt8], scores: [Int64], chunks: [Chunk]) -> ScoreResult {
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(actions.count + 1)
        var rules: [Int32] = []
        var texts: [[String]] = []
        for chunk in chunks {
            for count in chunk.firedCounts { offsets.append(offsets.last! + count) }
            rules.append(contentsOf: chunk.firedRules)
            texts.append(contentsOf: chunk.featureTexts)
        }
        return ScoreResult(actions: actions, scores: scores, firedOffsets: offsets, firedRules: rules, featureTexts: texts)
    }
}

/// A fixed-size array that threads fill at disjoint indices.
final class ResultArray<Element>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Element>

    init(count: Int, initial: Element) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: initial)
    }

    deinit {
        storage.baseAddress?.deinitialize(count: storage.count)
        storage.deallocate()
    }

    @inline(__always) func set(_ index: Int, _ value: Element) { storage[index] = value }
    @inline(__always) func get(_ index: Int) -> Element { storage[index] }
    var values: [Element] { Array(storage) }
}

/// One result per task, set once each by whichever thread ran it.
final class ResultSlots<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element]

    init(count: Int, initial: Element) { storage = Array(repeating: initial, count: count) }

    func set(_ index: Int, _ value: Element) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
