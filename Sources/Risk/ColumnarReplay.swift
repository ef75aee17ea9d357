/// Batch counters: one feature over a whole time-ordered history at once.
/// Keys arrive as small group numbers (no hashing, no dictionary per row) and
/// each group's window runs through the same `WindowState` code as the online
/// stores, so a row gets exactly the value it would have had online.
/// Features are independent of each other, so callers replay them in parallel.
public enum ColumnarReplay {
    /// What one feature needs of the history, indexed by replay position.
    public struct Input: Sendable {
        /// Key group of each row; -1 when a key fact is missing (feature missing, nothing counted).
        public var groups: [Int32]
        public var groupCount: Int
        /// The aggregated fact's word per row (sum/avg/min/max); nil entries are missing values.
        public var values: [Int64?]
        /// The aggregated value's hash per row (distinct); nil = missing, not counted.
        public var valueHashes: [UInt64?]
        /// Whether the row counts at its own time (its `where` passes with its decision-time outcome).
        public var countsAtDecision: [Bool]
        /// Outcomes that arrive later (fraud labels), as (time, row position), sorted;
        /// each counts the row's facts again at that time.
        public var outcomeEvents: [(time: Int64, position: Int32)]

        public init(groups: [Int32], groupCount: Int, values: [Int64?] = [], valueHashes: [UInt64?] = [],
                    countsAtDecision: [Bool], outcomeEvents: [(time: Int64, position: Int32)] = []) {
            self.groups = groups
            self.groupCount = groupCount
            self.values = values
            self.valueHashes = valueHashes
            self.countsAtDecision = countsAtDecision
            self.outcomeEvents = outcomeEvents
        }
    }

    /// A feature's value for every row (words as in `FactRecord`), in plain
    /// buffers so evaluating threads read them without reference counting.
    public final class Column: @unchecked Sendable {
        public let words: UnsafeMutableBufferPointer<Int64>
        public let present: UnsafeMutableBufferPointer<Bool>

        init(rowCount: Int) {
            words = .allocate(capacity: max(1, rowCount))
            words.initialize(repeating: 0)
            present = .allocate(capacity: max(1, rowCount))
            present.initialize(repeating: false)
        }

        deinit {
            words.deallocate()
            present.deallocate()
        }
    }

    /// Whether an outcome event (time, position) is applied before the row at
    /// (rowTime, rowPosition): earlier in time, or a tie from an earlier row
    /// (so no row ever sees its own outcome, even with no delay).
    @inline(__always)
    public static func outcomeEvent(_ event: (time: Int64, position: Int32), precedesRowAt rowTime: Int64, position rowPosition: Int) -> Bool {
        event.time < rowTime || (event.time == rowTime && Int(event.position) < rowPosition)
    }

    /// Replays `feature` over rows at `times` (non-decreasing).
    public static func replay(_ feature: CounterPlan.Feature, times: [Int64], input: Input,
                              limits: CounterLimits = CounterLimits()) -> Column {
        switch feature.function {
        case .count, .sum, .avg:
            return replayRunningTotals(feature, times: times, input: input)
        case .min, .max:
            return replay(feature, times: times, input: input, limits: limits, bucket: ValueBucket.self)
        case .distinct:
            return replay(feature, times: times, input: input, limits: limits, bucket: CountBucket.self)
        }
    }

    /// count, sum and avg: a running total per group, and one queue of every
    /// counted event in time order. Events are added in time order, so they
    /// also leave the window in that order: each row costs O(1), whatever the
    /// window. Same window edges as `WindowState.summary`: an event counts while
    /// its bucket start ≥ now − window + 1 (exact) or ≥ now − window − bucket + 1.
    private static func replayRunningTotals(_ feature: CounterPlan.Feature, times: [Int64], input: Input) -> Column {
        let rowCount = times.count
        let column = Column(rowCount: rowCount)
        let words = column.words, present = column.present
        // Per group: events, events with a value, and their sum.
        var totals = [(count: Int64, valueCount: Int64, sum: Int64)](repeating: (0, 0, 0), count: input.groupCount)
        // The window's events, oldest first.
        struct Queued {
            var start: Int64
            var value: Int64
            var group: Int32
            var hasValue: Bool
        }
        var queue: [Queued] = []
        var head = 0
        let hasValues = !input.values.isEmpty
        let bucketSeconds = feature.bucketSeconds, windowSeconds = feature.windowSeconds
        var nextOutcome = 0
        let outcomeEvents = input.outcomeEvents

        times.withUnsafeBufferPointer { times in
        input.groups.withUnsafeBufferPointer { groups in
        input.countsAtDecision.withUnsafeBufferPointer { countsAtDecision in
        input.values.withUnsafeBufferPointer { values in
        totals.withUnsafeMutableBufferPointer { totals in
            func add(_ position: Int, at time: Int64) {
                let group = Int(groups[position])
                guard group >= 0 else { return }
                let value = hasValues ? values[position] : nil
                totals[group].count += 1
                if let value {
                    totals[group].valueCount += 1
                    totals[group].sum &+= value
                }
                let start = bucketSeconds == 1 ? time : time - ((time % bucketSeconds) + bucketSeconds) % bucketSeconds
                queue.append(Queued(start: start, value: value ?? 0, group: Int32(group), hasValue: value != nil))
            }

            for position in 0..<rowCount {
                let time = times[position]
                while nextOutcome < outcomeEvents.count,
                      outcomeEvent(outcomeEvents[nextOutcome], precedesRowAt: time, position: position) {
                    let event = outcomeEvents[nextOutcome]
                    add(Int(event.position), at: event.time)
                    nextOutcome += 1
                }
                let firstStart = bucketSeconds == 1 ? time - windowSeconds + 1 : time - windowSeconds - bucketSeconds + 1
                while head < queue.count && queue[head].start < firstStart {
                    let leaving = queue[head]
                    let group = Int(leaving.group)
                    totals[group].count -= 1
                    if leaving.hasValue {
                        totals[group].valueCount -= 1
                        totals[group].sum &-= leaving.value
                    }
                    head += 1
                }
                if head > 1 << 16 && head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                let group = Int(groups[position])
                guard group >= 0 else { continue }
                var summary = WindowSummary()
                summary.count = totals[group].count
                summary.valueCount = totals[group].valueCount
                summary.sum = totals[group].sum
                if let word = feature.word(for: summary) {
                    words[position] = word
                    present[position] = true
                }
                if countsAtDecision[position] { add(position, at: time) }
            }
        }}}}}
        return column
    }

    private static func replay<Bucket: WindowBucket>(
        _ feature: CounterPlan.Feature, times: [Int64], input: Input, limits: CounterLimits, bucket: Bucket.Type
    ) -> Column {
        let rowCount = times.count
        let column = Column(rowCount: rowCount)
        var states = [WindowState<Bucket>](repeating: WindowState(), count: input.groupCount)
        let isDistinct = feature.function == .distinct
        let hasValues = !input.values.isEmpty
        var nextOutcome = 0

        func add(_ position: Int, at time: Int64) {
            let group = Int(input.groups[position])
            guard group >= 0 else { return }
            var valueHash: UInt64?
            if isDistinct {
                guard let hash = input.valueHashes[position] else { return }
                valueHash = hash
            }
            let value = hasValues ? input.values[position] : nil
            states[group].evict(now: max(time, states[group].lastEventTime),
                                windowSeconds: feature.windowSeconds, bucketSeconds: feature.bucketSeconds)
            states[group].add(time: time, bucketSeconds: feature.bucketSeconds, value: value, valueHash: valueHash, limits: limits)
        }

        for position in 0..<rowCount {
            let time = times[position]
            while nextOutcome < input.outcomeEvents.count,
                  outcomeEvent(input.outcomeEvents[nextOutcome], precedesRowAt: time, position: position) {
                let event = input.outcomeEvents[nextOutcome]
                add(Int(event.position), at: event.time)
                nextOutcome += 1
            }
            let group = Int(input.groups[position])
            guard group >= 0 else { continue }
            let summary = states[group].summary(now: time, windowSeconds: feature.windowSeconds, bucketSeconds: feature.bucketSeconds)
            if let word = feature.word(for: summary) {
                column.words[position] = word
                column.present[position] = true
            }
            if input.countsAtDecision[position] { add(position, at: time) }
        }
        return column
    }
}
