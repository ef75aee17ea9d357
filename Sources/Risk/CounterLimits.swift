/// Bounds of the velocity counters, each with its unit. README "Velocity
/// counters" states what each approximation costs.
public struct CounterLimits: Sendable {
    /// Windows up to this long slide exactly, to the second (one bucket per second that saw events).
    public var exactWindowSecondsMax: Int64 = 86_400
    /// Longer windows use buckets of window / this (so the error is at most one bucket).
    public var bucketsPerLongWindow: Int64 = 100
    /// `distinct` is exact up to this many values per key, then a sliding HyperLogLog.
    public var distinctExactMax = 1_000
    /// Registers of that HyperLogLog, as a power of two (2^10 = 1,024: about 3.3% standard error).
    public var hyperLogLogPrecisionBits = 10
    /// Redis keeps `distinct` values exactly (a sorted set per key), at most this many
    /// per key: the most recently seen; beyond it the count is a lower bound.
    public var redisDistinctValuesMax = 10_000
    /// Updates of one shard between sweeps that drop idle keys.
    public var updatesPerIdleSweep = 8_192

    public init() {}
}
