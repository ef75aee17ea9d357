import Rules

/// One thing that happened to the counters, as stored with the payments (the
/// truth counters are derived from): a payment at its time with its
/// decision-time outcome, or an outcome that arrived later (a decline from the
/// issuer, a refund, a chargeback, a fraud report).
public struct CounterEvent: Sendable {
    public enum Kind: Sendable { case payment, outcome }

    public let kind: Kind
    /// Epoch seconds.
    public let time: Int64
    /// Facts by name, as text (parsed by each slot's type).
    public let facts: [String: String]
    /// `outcome` at that moment: "authorized"/"declined" for a payment, the later outcome otherwise.
    public let outcome: String?
    /// Minor-unit exponent of the payment's currency.
    public let currencyExponent: Int

    public init(kind: Kind, time: Int64, facts: [String: String], outcome: String?, currencyExponent: Int = 2) {
        self.kind = kind
        self.time = time
        self.facts = facts
        self.outcome = outcome
        self.currencyExponent = currencyExponent
    }
}

/// Counters after a restart: the embedded store lives in memory, so the
/// gateway replays what it stored over the longest window (plus one bucket)
/// into a fresh store. Events must come in time order, as they happened.
public enum CounterRebuild {
    /// How far back a rebuild must start to reproduce every window as of `now`.
    public static func replayFrom(now: Int64, plan: CounterPlan) -> Int64 {
        let longestBucket = plan.features.map(\.bucketSeconds).max() ?? 1
        return now - plan.longestWindowSeconds - longestBucket
    }

    /// Replays `events` into `store`; returns how many were applied.
    @discardableResult
    public static func replay<Events: Sequence<CounterEvent>>(_ events: Events, into store: CounterStore, plan: CounterPlan,
                                                              ruleSet: RuleSet) -> Int {
        let outcomeSlot = ruleSet.layout.slot(named: "outcome")?.index
        // Events go to the store in chunks (one pipeline each for Redis), in order.
        let chunkSize = 1_024
        let records = (0..<chunkSize).map { _ in ruleSet.makeRecord() }
        var chunk: [(record: FactRecord, time: Int64, isOutcome: Bool)] = []
        chunk.reserveCapacity(chunkSize)
        var applied = 0
        for event in events {
            let record = records[chunk.count]
            record.reset()
            record.currencyExponent = event.currencyExponent
            for (name, value) in event.facts {
                guard let slot = ruleSet.layout.slot(named: name), name != "outcome" else { continue }
                record.setParsing(slot.index, value)
            }
            if let outcomeSlot, let outcome = event.outcome { record.setString(outcomeSlot, outcome) }
            chunk.append((record, event.time, event.kind == .outcome))
            applied += 1
            if chunk.count == chunkSize {
                store.recordEvents(plan, chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { store.recordEvents(plan, chunk) }
        return applied
    }
}
