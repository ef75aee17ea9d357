/// One key's events for one aggregate, summarized in time buckets (1 second for
/// windows up to a day, so they slide exactly; window/100 beyond). Buckets are
/// kept sorted by start and dropped once they leave the window.
struct WindowState {
    struct Bucket {
        var start: Int64
        var count: Int64
        /// Events that carried the aggregated value (sum/avg/min/max skip missing values).
        var valueCount: Int64
        var sum: Int64
        var min: Int64
        var max: Int64
    }

    var buckets: [Bucket] = []
    /// distinct: last time each value (by hash) was seen, while there are few values.
    var distinctLastSeen: [UInt64: Int64]?
    /// distinct: once past `distinctExactMax` values.
    var distinctSketch: SlidingHyperLogLog?
    var lastEventTime: Int64 = .min
    /// After this time no window can see any of the key's events: the key may be dropped.
    var idleAfter: Int64 = .min

    /// Adds one event. `value` is the aggregated word (nil when missing); `valueHash` for distinct.
    mutating func add(time: Int64, bucketSeconds: Int64, value: Int64?, valueHash: UInt64?, limits: CounterLimits) {
        let start = bucketSeconds == 1 ? time : time - ((time % bucketSeconds) + bucketSeconds) % bucketSeconds
        var index = buckets.count
        while index > 0 && buckets[index - 1].start > start { index -= 1 }
        if index > 0 && buckets[index - 1].start == start {
            buckets[index - 1].count += 1
            if let value { Self.merge(value, into: &buckets[index - 1]) }
        } else {
            var bucket = Bucket(start: start, count: 1, valueCount: 0, sum: 0, min: .max, max: .min)
            if let value { Self.merge(value, into: &bucket) }
            buckets.insert(bucket, at: index)
        }
        if let valueHash {
            if distinctSketch != nil {
                distinctSketch!.insert(hash: valueHash, time: time)
            } else {
                var seen = distinctLastSeen ?? [:]
                seen[valueHash] = max(seen[valueHash] ?? .min, time)
                if seen.count > limits.distinctExactMax {
                    var sketch = SlidingHyperLogLog(precisionBits: limits.hyperLogLogPrecisionBits)
                    for (hash, seenAt) in seen { sketch.insert(hash: hash, time: seenAt) }
                    distinctSketch = sketch
                    distinctLastSeen = nil
                } else {
                    distinctLastSeen = seen
                }
            }
        }
        lastEventTime = max(lastEventTime, time)
    }

    mutating func markIdleAfter(windowSeconds: Int64, bucketSeconds: Int64) {
        idleAfter = lastEventTime + windowSeconds + bucketSeconds
    }

    private static func merge(_ value: Int64, into bucket: inout Bucket) {
        bucket.valueCount += 1
        bucket.sum &+= value
        bucket.min = Swift.min(bucket.min, value)
        bucket.max = Swift.max(bucket.max, value)
    }

    /// Drops what no window ending at or after `now` can see.
    mutating func evict(now: Int64, windowSeconds: Int64, bucketSeconds: Int64) {
        let cutoff = now - windowSeconds - bucketSeconds
        var drop = 0
        while drop < buckets.count && buckets[drop].start <= cutoff { drop += 1 }
        if drop > 0 { buckets.removeFirst(drop) }
        if distinctLastSeen != nil { distinctLastSeen = distinctLastSeen!.filter { $0.value > cutoff } }
        distinctSketch?.evict(olderThan: cutoff)
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
            let bucket = buckets[index]
            summary.count += bucket.count
            summary.valueCount += bucket.valueCount
            summary.sum &+= bucket.sum
            summary.min = Swift.min(summary.min, bucket.min)
            summary.max = Swift.max(summary.max, bucket.max)
            index += 1
        }
        if let seen = distinctLastSeen {
            let distinctFrom = bucketSeconds == 1 ? from : from - bucketSeconds
            summary.distinct = Double(seen.values.reduce(0) { $0 + ($1 > distinctFrom && $1 <= now ? 1 : 0) })
        } else if let sketch = distinctSketch {
            summary.distinct = sketch.estimate(from: bucketSeconds == 1 ? from : from - bucketSeconds, through: now).rounded()
        }
        return summary
    }

    /// Rough heap bytes, for the memory figures.
    var approximateBytes: Int {
        48 + buckets.capacity * MemoryLayout<Bucket>.stride
            + (distinctLastSeen.map { $0.capacity * 24 } ?? 0)
            + (distinctSketch.map { $0.entryCount * 16 + 1_024 * 8 } ?? 0)
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
