/// A time bucket of one key's events: its start (the event second, or a
/// multiple of window/100) and what the aggregate needs of the events in it.
protocol WindowBucket {
    var start: Int64 { get }
    init(start: Int64)
    mutating func add(value: Int64?)
    func add(to summary: inout WindowSummary)
}

/// 16 bytes: what `count` and `distinct` features keep (distinct's values live apart).
struct CountBucket: WindowBucket {
    let start: Int64
    var count: Int64 = 0

    init(start: Int64) { self.start = start }
    mutating func add(value: Int64?) { count += 1 }
    func add(to summary: inout WindowSummary) { summary.count += count }
}

/// 40 bytes: what `sum`, `avg`, `min` and `max` keep.
struct ValueBucket: WindowBucket {
    let start: Int64
    var count: Int32 = 0
    /// Events that carried the aggregated value (missing values are skipped).
    /// Int32: a key sees at most 2^31 events in one bucket.
    var valueCount: Int32 = 0
    var sum: Int64 = 0
    var min: Int64 = .max
    var max: Int64 = .min

    init(start: Int64) { self.start = start }

    mutating func add(value: Int64?) {
        count += 1
        guard let value else { return }
        valueCount += 1
        sum &+= value
        min = Swift.min(min, value)
        max = Swift.max(max, value)
    }

    func add(to summary: inout WindowSummary) {
        summary.count += Int64(count)
        summary.valueCount += Int64(valueCount)
        summary.sum &+= sum
        summary.min = Swift.min(summary.min, min)
        summary.max = Swift.max(summary.max, max)
    }
}

/// One key's events for one aggregate, summarized in time buckets (1 second for
/// windows up to a day, so they slide exactly; window/100 beyond). Buckets are
/// kept sorted by start and dropped once they leave the window.
struct WindowState<Bucket: WindowBucket> {
    var buckets: [Bucket] = []
    /// Only `distinct` features have one (boxed, so other keys pay 8 bytes for it).
    var distinct: DistinctValues?
    var lastEventTime: Int64 = .min
    /// After this time no window can see any of the key's events: the key may be dropped.
    var idleAfter: Int64 = .min

    /// Adds one event. `value` is the aggregated word (nil when missing); `valueHash` for distinct.
    mutating func add(time: Int64, bucketSeconds: Int64, value: Int64?, valueHash: UInt64?, limits: CounterLimits) {
        let start = bucketSeconds == 1 ? time : time - ((time % bucketSeconds) + bucketSeconds) % bucketSeconds
        var index = buckets.count
        while index > 0 && buckets[index - 1].start > start { index -= 1 }
        if index > 0 && buckets[index - 1].start == start {
            buckets[index - 1].add(value: value)
        } else {
            var bucket = Bucket(start: start)
            bucket.add(value: value)
            // Most keys hold a handful of buckets: grow them one at a time, not by doubling.
            if buckets.count < 8 { buckets.reserveCapacity(buckets.count + 1) }
            buckets.insert(bucket, at: index)
        }
        if let valueHash {
            if distinct == nil { distinct = DistinctValues() }
            distinct!.insert(valueHash, time: time, limits: limits)
        }
        lastEventTime = max(lastEventTime, time)
    }

    mutating func markIdleAfter(windowSeconds: Int64, bucketSeconds: Int64) {
        idleAfter = lastEventTime + windowSeconds + bucketSeconds
    }

    /// Drops what no window ending at or after `now` can see.
    mutating func evict(now: Int64, windowSeconds: Int64, bucketSeconds: Int64) {
        let cutoff = now - windowSeconds - bucketSeconds
        var drop = 0
        while drop < buckets.count && buckets[drop].start <= cutoff { drop += 1 }
        if drop > 0 { buckets.removeFirst(drop) }
        distinct?.evict(olderThan: cutoff)
    }

    /// The summary of events with time in (now - window, now] (long windows:
    /// whole buckets that overlap it, see README).
    func summary(now: Int64, windowSeconds: Int64, bucketSeconds: Int64) -> WindowSummary {
        var summary = WindowSummary()
        let from = now - windowSeconds
        // Exact windows: bucket start is the event second. Long ones: any bucket overlapping (from, now].
        let firstStart = bucketSeconds == 1 ? from + 1 : from - bucketSeconds + 1
        var index = buckets.count
        while index > 0 && buckets[index - 1].start >= firstStart { index -= 1 }
        while index < buckets.count && buckets[index].start <= now {
            buckets[index].add(to: &summary)
            index += 1
        }
        if let distinct {
            summary.distinct = distinct.count(from: bucketSeconds == 1 ? from : from - bucketSeconds, through: now)
        }
        return summary
    }

    /// Rough heap bytes, for the memory figures.
    var approximateBytes: Int {
        (buckets.capacity > 0 ? 32 + buckets.capacity * MemoryLayout<Bucket>.stride : 0)
            + (distinct?.approximateBytes ?? 0)
    }
}

/// What a window holds at one moment.
struct WindowSummary {
    var count: Int64 = 0
    var valueCount: Int64 = 0
    var sum: Int64 = 0
    var min: Int64 = .max
    var max: Int64 = .min
    var distinct: Double = 0
}

/// The values a `distinct` feature has seen for one key: exact (last time each
/// value hash was seen) up to `distinctExactMax`, then a sliding HyperLogLog.
final class DistinctValues {
    private var lastSeen: [UInt64: Int64] = [:]
    private var sketch: SlidingHyperLogLog?

    func insert(_ hash: UInt64, time: Int64, limits: CounterLimits) {
        if sketch != nil {
            sketch!.insert(hash: hash, time: time)
            return
        }
        lastSeen[hash] = max(lastSeen[hash] ?? .min, time)
        if lastSeen.count > limits.distinctExactMax {
            var newSketch = SlidingHyperLogLog(precisionBits: limits.hyperLogLogPrecisionBits)
            for (hash, seenAt) in lastSeen { newSketch.insert(hash: hash, time: seenAt) }
            sketch = newSketch
            lastSeen = [:]
        }
    }

    func evict(olderThan cutoff: Int64) {
        if sketch != nil { sketch!.evict(olderThan: cutoff) } else { lastSeen = lastSeen.filter { $0.value > cutoff } }
    }

    func count(from: Int64, through: Int64) -> Double {
        if let sketch { return sketch.estimate(from: from, through: through).rounded() }
        return Double(lastSeen.values.reduce(0) { $0 + ($1 > from && $1 <= through ? 1 : 0) })
    }

    var approximateBytes: Int {
        32 + lastSeen.capacity * 24 + (sketch.map { $0.entryCount * 16 + 1_024 * 8 } ?? 0)
    }
}
