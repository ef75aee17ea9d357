import Foundation
import Rules
import Store
import Synchronization

/// Velocity counters in Redis, so several gateway processes share them. Same
/// windows and results as `InMemoryCounterStore` (one test body runs against
/// both), one pipelined round trip per payment for reads and one for writes.
///
/// Layout, per feature and key value (`CounterPlan.key`, hex):
/// - `tg:w:KEY`, a hash with one field per bucket start: `c:START` events,
///   and for sum/avg/min/max `n:START` events with a value, `s:START` their
///   sum, `m:START`/`x:START` their min/max (min/max kept by a small Lua script,
///   the only read-modify-write). Fields that left the window are deleted by
///   the next read that sees them.
/// - `tg:d:KEY`, a sorted set for `distinct`: member = the value's 8-byte hash,
///   score = when it was last seen; trimmed to the window on every write. In
///   Redis `distinct` stays exact (no HyperLogLog): memory is bounded by the
///   distinct values seen within window + one bucket.
/// Every key expires window + bucket after its last write (wall clock), so idle
/// keys vanish by themselves.
///
/// A Redis failure never fails a payment: the features read as missing, the
/// write is dropped, and `errorCount`/`lastError` say so (the gateway logs them).
public final class RedisCounterStore: CounterStore {
    private let pool: RedisConnectionPool
    public let limits: CounterLimits
    private let errors = Atomic<Int>(0)
    private let lastErrorText = Mutex<String?>(nil)

    /// Per-bucket min/max in one atomic step: KEYS[1] hash, ARGV: field, value, "min"|"max".
    static let extremeScript = """
    local current = redis.call('HGET', KEYS[1], ARGV[1])
    local value = tonumber(ARGV[2])
    if current == false or (ARGV[3] == 'min' and value < tonumber(current)) or (ARGV[3] == 'max' and value > tonumber(current)) then
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    end
    return 1
    """

    /// Prepended to every key ("tg" → `tg:w:…`), so tenants or tests can share one server.
    public let keyPrefix: String

    public init(url: String, keyPrefix: String = "tg", limits: CounterLimits = CounterLimits()) throws(RedisError) {
        pool = try RedisConnectionPool(address: RedisAddress(url: url))
        self.keyPrefix = keyPrefix
        self.limits = limits
    }

    public var errorCount: Int { errors.load(ordering: .relaxed) }
    public var lastError: String? { lastErrorText.withLock { $0 } }

    private func fail(_ error: RedisError) {
        errors.add(1, ordering: .relaxed)
        lastErrorText.withLock { $0 = error.message }
    }

    func hashKey(_ key: UInt64) -> [UInt8] { Array("\(keyPrefix):w:\(Self.hex(key))".utf8) }
    func distinctKey(_ key: UInt64) -> [UInt8] { Array("\(keyPrefix):d:\(Self.hex(key))".utf8) }

    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    static func bucketStart(_ time: Int64, bucketSeconds: Int64) -> Int64 {
        bucketSeconds == 1 ? time : time - ((time % bucketSeconds) + bucketSeconds) % bucketSeconds
    }

    // MARK: read

    public func readFeatures(_ plan: CounterPlan, into record: FactRecord, at time: Int64) {
        let keys = plan.features.map { plan.key($0, in: record) }
        do throws(RedisError) {
            let replies: [RedisReply?] = try pool.withConnection { (connection) throws(RedisError) in
                for (feature, key) in zip(plan.features, keys) {
                    guard let key else { continue }
                    if feature.function == .distinct {
                        let from = time - feature.windowSeconds - (feature.bucketSeconds == 1 ? 0 : feature.bucketSeconds)
                        try connection.append([Array("ZCOUNT".utf8), distinctKey(key), Array("(\(from)".utf8), Array(String(time).utf8)])
                    } else {
                        try connection.append([Array("HGETALL".utf8), hashKey(key)])
                    }
                }
                var replies: [RedisReply?] = []
                for key in keys { replies.append(key == nil ? nil : try connection.reply()) }
                return replies
            }
            var stale: [(key: UInt64, fields: [[UInt8]])] = []
            for (index, feature) in plan.features.enumerated() {
                guard let key = keys[index], let reply = replies[index] else {
                    record.setMissing(feature.slot)
                    continue
                }
                var summary = WindowSummary()
                if feature.function == .distinct {
                    guard let count = reply.integerValue else { throw RedisError("unexpected reply to ZCOUNT: \(reply)") }
                    summary.distinct = Double(count)
                } else {
                    guard case .array(let items) = reply else { throw RedisError("unexpected reply to HGETALL: \(reply)") }
                    let staleFields = Self.summarize(items, feature: feature, now: time, into: &summary)
                    if !staleFields.isEmpty { stale.append((key, staleFields)) }
                }
                feature.write(summary, into: record)
            }
            if !stale.isEmpty { try deleteFields(stale) }
        } catch {
            fail(error)
            for feature in plan.features { record.setMissing(feature.slot) }
        }
    }

    /// Adds the hash's buckets inside the window to `summary` (the same edges as
    /// `WindowState.summary`); returns the fields of buckets no window can see any more.
    static func summarize(_ items: [RedisReply], feature: CounterPlan.Feature, now: Int64, into summary: inout WindowSummary) -> [[UInt8]] {
        let firstStart = feature.bucketSeconds == 1 ? now - feature.windowSeconds + 1 : now - feature.windowSeconds - feature.bucketSeconds + 1
        let cutoff = now - feature.windowSeconds - feature.bucketSeconds
        var stale: [[UInt8]] = []
        var index = 0
        while index + 1 < items.count {
            defer { index += 2 }
            guard case .string(let field) = items[index], field.count > 2, let value = items[index + 1].integerValue,
                  let start = Int64(String(decoding: field[2...], as: UTF8.self)) else { continue }
            if start <= cutoff {
                stale.append(field)
                continue
            }
            guard start >= firstStart && start <= now else { continue }
            switch field[0] {
            case UInt8(ascii: "c"): summary.count += value
            case UInt8(ascii: "n"): summary.valueCount += value
            case UInt8(ascii: "s"): summary.sum &+= value
            case UInt8(ascii: "m"): summary.min = min(summary.min, value)
            case UInt8(ascii: "x"): summary.max = max(summary.max, value)
            default: break
            }
        }
        return stale
    }

    private func deleteFields(_ stale: [(key: UInt64, fields: [[UInt8]])]) throws(RedisError) {
        try pool.withConnection { (connection) throws(RedisError) in
            for (key, fields) in stale { try connection.append([Array("HDEL".utf8), hashKey(key)] + fields) }
            for _ in stale { _ = try connection.reply() }
        }
    }

    // MARK: write

    public func recordEvent(_ plan: CounterPlan, from record: FactRecord, at time: Int64) {
        write(plan, from: record, at: time, outcomeFeaturesOnly: false)
    }

    public func recordOutcome(_ plan: CounterPlan, from record: FactRecord, at time: Int64) {
        write(plan, from: record, at: time, outcomeFeaturesOnly: true)
    }

    private func write(_ plan: CounterPlan, from record: FactRecord, at time: Int64, outcomeFeaturesOnly: Bool) {
        do throws(RedisError) {
            try pool.withConnection { (connection) throws(RedisError) in
                var commands = 0
                for feature in plan.features where (!outcomeFeaturesOnly || feature.spec.filterReadsOutcome) && plan.counts(feature, record) {
                    guard let key = plan.key(feature, in: record) else { continue }
                    let start = Self.bucketStart(time, bucketSeconds: feature.bucketSeconds)
                    let ttlMilliseconds = Array(String((feature.windowSeconds + feature.bucketSeconds + 1) * 1_000).utf8)
                    if feature.function == .distinct {
                        guard let valueSlot = feature.valueSlot,
                              var valueHash = CounterPlan.hash(slot: valueSlot, type: feature.valueType!, in: record) else { continue }
                        let member = withUnsafeBytes(of: &valueHash) { Array($0) }
                        let redisKey = distinctKey(key)
                        let cutoff = time - feature.windowSeconds - feature.bucketSeconds
                        try connection.append([Array("ZADD".utf8), redisKey, Array("GT".utf8), Array(String(time).utf8), member])
                        try connection.append([Array("ZREMRANGEBYSCORE".utf8), redisKey, Array("-inf".utf8), Array(String(cutoff).utf8)])
                        try connection.append([Array("PEXPIRE".utf8), redisKey, ttlMilliseconds])
                        commands += 3
                        continue
                    }
                    let redisKey = hashKey(key)
                    let suffix = Array(String(start).utf8)
                    try connection.append([Array("HINCRBY".utf8), redisKey, Array("c:".utf8) + suffix, Array("1".utf8)])
                    commands += 1
                    if feature.usesValueBuckets, let valueSlot = feature.valueSlot, let value = record.word(valueSlot) {
                        let valueText = Array(String(value).utf8)
                        try connection.append([Array("HINCRBY".utf8), redisKey, Array("n:".utf8) + suffix, Array("1".utf8)])
                        try connection.append([Array("HINCRBY".utf8), redisKey, Array("s:".utf8) + suffix, valueText])
                        commands += 2
                        if feature.function == .min || feature.function == .max {
                            let field = Array((feature.function == .min ? "m:" : "x:").utf8) + suffix
                            try connection.append([Array("EVAL".utf8), Array(Self.extremeScript.utf8), Array("1".utf8), redisKey, field, valueText,
                                                   Array((feature.function == .min ? "min" : "max").utf8)])
                            commands += 1
                        }
                    }
                    try connection.append([Array("PEXPIRE".utf8), redisKey, ttlMilliseconds])
                    commands += 1
                }
                for _ in 0..<commands {
                    if case .error(let message) = try connection.reply() { throw RedisError(message) }
                }
            }
        } catch {
            fail(error)
        }
    }
}
