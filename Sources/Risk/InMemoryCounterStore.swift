import Rules
import Synchronization

/// Velocity counters in this process's memory: keys hashed into shards, each
/// behind its own lock, so many request threads can read and record at once.
/// Idle keys (no event any window can still see) are dropped by periodic sweeps.
public final class InMemoryCounterStore: CounterStore {
    private struct Shard {
        /// count and distinct features: 16-byte buckets.
        var counting: [UInt64: WindowState<CountBucket>] = [:]
        /// sum, avg, min and max: 40-byte buckets.
        var valued: [UInt64: WindowState<ValueBucket>] = [:]
        var updatesSinceSweep = 0

        mutating func sweep(now: Int64) {
            counting = counting.filter { $0.value.idleAfter > now }
            valued = valued.filter { $0.value.idleAfter > now }
        }
    }

    /// A mutex cannot be copied into an array; each shard lives in its own box.
    private final class LockedShard: Sendable {
        let mutex = Mutex(Shard())
    }

    private let shards: [LockedShard]
    private let shardMask: UInt64
    public let limits: CounterLimits

    /// `shardCount` is rounded up to a power of two.
    public init(limits: CounterLimits = CounterLimits(), shardCount: Int = 64) {
        var count = 1
        while count < shardCount { count <<= 1 }
        shards = (0..<count).map { _ in LockedShard() }
        shardMask = UInt64(count - 1)
        self.limits = limits
    }

    public func readFeatures(_ plan: CounterPlan, into record: FactRecord, at time: Int64) {
        for feature in plan.features {
            guard let key = plan.key(feature, in: record) else {
                record.setMissing(feature.slot)
                continue
            }
            let summary = shards[Int(key & shardMask)].mutex.withLock { shard in
                feature.usesValueBuckets
                    ? shard.valued[key]?.summary(now: time, windowSeconds: feature.windowSeconds, bucketSeconds: feature.bucketSeconds)
                    : shard.counting[key]?.summary(now: time, windowSeconds: feature.windowSeconds, bucketSeconds: feature.bucketSeconds)
            } ?? WindowSummary()
            feature.write(summary, into: record)
        }
    }

    public func recordEvent(_ plan: CounterPlan, from record: FactRecord, at time: Int64) {
        count(plan, from: record, at: time, outcomeFeaturesOnly: false)
    }

    public func recordOutcome(_ plan: CounterPlan, from record: FactRecord, at time: Int64) {
        count(plan, from: record, at: time, outcomeFeaturesOnly: true)
    }

    private func count(_ plan: CounterPlan, from record: FactRecord, at time: Int64, outcomeFeaturesOnly: Bool) {
        for feature in plan.features where (!outcomeFeaturesOnly || feature.spec.filterReadsOutcome) && plan.counts(feature, record) {
            guard let key = plan.key(feature, in: record) else { continue }
            let value = feature.valueSlot.flatMap { slot in feature.function == .distinct ? nil : record.word(slot) }
            let valueHash = feature.function == .distinct
                ? feature.valueSlot.flatMap { CounterPlan.hash(slot: $0, type: feature.valueType!, in: record) } : nil
            if feature.function == .distinct && valueHash == nil { continue }
            let limits = self.limits
            shards[Int(key & shardMask)].mutex.withLock { shard in
                if feature.usesValueBuckets {
                    Self.record(in: &shard.valued, key: key, feature: feature, time: time, value: value, valueHash: valueHash, limits: limits)
                } else {
                    Self.record(in: &shard.counting, key: key, feature: feature, time: time, value: value, valueHash: valueHash, limits: limits)
                }
                shard.updatesSinceSweep += 1
                if shard.updatesSinceSweep >= limits.updatesPerIdleSweep {
                    shard.updatesSinceSweep = 0
                    shard.sweep(now: time)
                }
            }
        }
    }

    private static func record<Bucket: WindowBucket>(
        in states: inout [UInt64: WindowState<Bucket>], key: UInt64, feature: CounterPlan.Feature, time: Int64,
        value: Int64?, valueHash: UInt64?, limits: CounterLimits
    ) {
        var state = states.removeValue(forKey: key) ?? WindowState()
        state.evict(now: max(time, state.lastEventTime), windowSeconds: feature.windowSeconds, bucketSeconds: feature.bucketSeconds)
        state.add(time: time, bucketSeconds: feature.bucketSeconds, value: value, valueHash: valueHash, limits: limits)
        state.markIdleAfter(windowSeconds: feature.windowSeconds, bucketSeconds: feature.bucketSeconds)
        states[key] = state
    }

    /// Keys currently held (one per feature and key value).
    public var keyCount: Int {
        var total = 0
        for shard in shards { total += shard.mutex.withLock { $0.counting.count + $0.valued.count } }
        return total
    }

    /// Rough heap bytes held by the counters.
    public var approximateBytes: Int {
        var total = 0
        for shard in shards {
            total += shard.mutex.withLock { shard in
                var bytes = shard.counting.capacity * (8 + MemoryLayout<WindowState<CountBucket>>.stride)
                    + shard.valued.capacity * (8 + MemoryLayout<WindowState<ValueBucket>>.stride)
                for state in shard.counting.values { bytes += state.approximateBytes }
                for state in shard.valued.values { bytes += state.approximateBytes }
                return bytes
            }
        }
        return total
    }
}
