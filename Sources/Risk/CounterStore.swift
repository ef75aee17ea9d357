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
}

extension CounterPlan.Feature {
    /// Writes what a window summary means for this feature into its slot.
    func write(_ summary: WindowSummary, into record: FactRecord) {
        switch function {
        case .count:
            record.setInteger(slot, summary.count)
        case .distinct:
            record.setInteger(slot, Int64(summary.distinct))
        case .sum:
            record.setWord(slot, summary.sum)
        case .avg:
            guard summary.valueCount > 0 else { return record.setMissing(slot) }
            if resultType == .decimal {
                record.setDecimal(slot, Double(summary.sum) / Double(summary.valueCount))
            } else {
                record.setWord(slot, Self.roundedQuotient(summary.sum, summary.valueCount))
            }
        case .min:
            guard summary.valueCount > 0 else { return record.setMissing(slot) }
            record.setWord(slot, summary.min)
        case .max:
            guard summary.valueCount > 0 else { return record.setMissing(slot) }
            record.setWord(slot, summary.max)
        }
    }

    /// a / b rounded half away from zero (b > 0).
    static func roundedQuotient(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b, remainder = a % b
        if 2 * abs(remainder) >= b { return quotient + (a < 0 ? -1 : 1) }
        return quotient
    }
}
