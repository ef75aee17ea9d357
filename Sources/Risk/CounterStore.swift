import Rules

/// Where velocity counters live. The in-memory store is the embedded default
/// (rebuilt from stored payments after a restart); a Redis store lets several
/// gateway processes share them. Online and in batch the same calls run: read
/// a payment's features, decide, then record the payment.
public protocol CounterStore: AnyObject, Sendable {
    /// Writes every aggregate feature of `plan` into `record` as of `time`
    /// (epoch seconds). The payment itself is not counted (it is recorded after).
    func readFeatures(_ plan: CounterPlan, into record: FactRecord, at time: Int64)
    /// Counts the payment in `record` at `time` for every feature whose `where` it passes.
    func recordEvent(_ plan: CounterPlan, from record: FactRecord, at time: Int64)
    /// Counts an outcome that arrived after the decision (a decline, chargeback or
    /// fraud label; `record` holds the payment's facts with `outcome` set) at
    /// `time`, for the features whose `where` reads `outcome` and passes.
    func recordOutcome(_ plan: CounterPlan, from record: FactRecord, at time: Int64)
    /// Many events in time order (a rebuild, a bulk load); stores that talk to a
    /// server send them in a few pipelines.
    func recordEvents(_ plan: CounterPlan, _ events: [(record: FactRecord, time: Int64, isOutcome: Bool)])
}

extension CounterStore {
    public func recordEvents(_ plan: CounterPlan, _ events: [(record: FactRecord, time: Int64, isOutcome: Bool)]) {
        for event in events {
            if event.isOutcome {
                recordOutcome(plan, from: event.record, at: event.time)
            } else {
                recordEvent(plan, from: event.record, at: event.time)
            }
        }
    }
}

extension CounterPlan.Feature {
    /// Writes what a window summary means for this feature into its slot.
    func write(_ summary: WindowSummary, into record: FactRecord) {
        if let word = word(for: summary) { record.setWord(slot, word) } else { record.setMissing(slot) }
    }

    /// The feature's value as a record word (decimals as bit patterns); nil when
    /// missing (avg, min and max of an empty window).
    func word(for summary: WindowSummary) -> Int64? {
        switch function {
        case .count:
            return summary.count
        case .distinct:
            return Int64(summary.distinct)
        case .sum:
            return summary.sum
        case .avg:
            guard summary.valueCount > 0 else { return nil }
            if resultType == .decimal {
                return Int64(bitPattern: (Double(summary.sum) / Double(summary.valueCount)).bitPattern)
            }
            return Self.roundedQuotient(summary.sum, summary.valueCount)
        case .min:
            return summary.valueCount > 0 ? summary.min : nil
        case .max:
            return summary.valueCount > 0 ? summary.max : nil
        }
    }

    /// a / b rounded half away from zero (b > 0).
    static func roundedQuotient(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b, remainder = a % b
        if 2 * abs(remainder) >= b { return quotient + (a < 0 ? -1 : 1) }
        return quotient
    }
}
