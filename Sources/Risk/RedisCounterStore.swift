import Foundation
import Rules
import Store
import Synchronization

/// Velocity counters in Redis, so several gateway processes share them. Same
/// windows and results as `InMemoryCounterStore` (one test body runs against
/// both), one pipelined round trip per payment for reads and one for writes;
/// concurrent payments share pipelines (`RedisPipeliner`).
///
/// Layout, per feature and key value (`CounterPlan.key`, hex):
/// - `tg:w:KEY`, a hash with one field per bucket start: `c:START` events,
///   and for sum/avg/min/max `n:START` events with a value, `s:START` their
///   sum, `m:START`/`x:START` their min/max (min/max kept by a small Lua script,
///   the only read-modify-write). Fields that left the window are deleted by
///   the next read that sees them.
/// - `tg:d:KEY`, a sorted set for `distinct`: member = the value's 8-byte hash,
///   score = when it was last seen; trimmed to the window on every write and
///   to the `CounterLimits.redisDistinctValuesMax` most recent values. In Redis
///   `distinct` is exact up to that cap (no HyperLogLog) and undercounts beyond.
/// Every key expires window + bucket after its last write (wall clock), so idle
/// keys vanish by themselves.
///
/// A Redis failure never fails a payment: the features read as missing, the
/// write is dropped, and `errorCount`/`lastError` say so (the gateway logs them).
public final class RedisCounterStore: CounterStore {
    private let pipeline: RedisPipeliner
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
    private let hashPrefix: [UInt8]
    private let distinctPrefix: [UInt8]

    public init(url: String, keyPrefix: String = "tg", limits: CounterLimits = CounterLimits()) throws(RedisError) {
        pipeline = try RedisPipeliner(address: RedisAddress(url: url))
        self.keyPrefix = keyPrefix
        hashPrefix = Array("\(keyPrefix):w:".utf8)
        distinctPrefix = Array("\(keyPrefix):d:".utf8)
        self.limits = limits
    }

    public var errorCount: Int { errors.load(ordering: .relaxed) }
    public var lastError: String? { lastErrorText.withLock { $0 } }

    private func fail(_ error: RedisError) {
        errors.add(1, ordering: .relaxed)
        lastErrorText.withLock { $0 = error.message }
    }

    func hashKey(_ key: UInt64) -> [UInt8] { Self.key(prefix: hashPrefix, key) }
    func distinctKey(_ key: UInt64) -> [UInt8] { Self.key(prefix: distinctPrefix, key) }

    /// `prefix` + the key as 16 hex digits.
    static func key(prefix: [UInt8], _ key: UInt64) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + 16)
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) {
            bytes.append(digits.utf8Start[Int((key >> UInt64(shift)) & 15)])
        }
        return bytes
    }

    static func bucketStart(_ time: Int64, bucketSeconds: Int64) -> Int64 {
        bucketSeconds == 1 ? time : time - ((time % bucketSeconds) + bucketSeconds) % bucketSeconds
    }

    // MARK: read

    public func readFeatures(_ plan: CounterPlan, into record: FactRecord, at time: Int64) {
        let keys = plan.features.map { plan.key($0, in: record) }
        do throws(RedisError) {
            var commands = RedisCommandBuffer()
            for (feature, key) in zip(plan.features, keys) {
                guard let key else { continue }
                if feature.function == .distinct {
                    let from = time - feature.windowSeconds - (feature.bucketSeconds == 1 ? 0 : feature.bucketSeconds)
                    commands.begin(4)
                    commands.argument("ZCOUNT")
                    commands.argument(distinctKey(key))
                    commands.argument("(", from)
                    commands.argument(time)
                } else {
                    commands.begin(2)
                    commands.argument("HGETALL")
                    commands.argument(hashKey(key))
                }
            }
            var answers = try pipeline.execute(commands).makeIterator()
            let replies: [RedisReply?] = keys.map { $0 == nil ? nil : answers.next() }
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
        var commands = RedisCommandBuffer()
        for (key, fields) in stale {
            commands.begin(2 + fields.count)
            commands.argument("HDEL")
            commands.argument(hashKey(key))
            for field in fields { commands.argument(field) }
        }
        _ = try pipeline.execute(commands)
    }

    // MARK: write

    public func recordEvent(_ plan: CounterPlan, from record: FactRecord, at time: Int64) {
        write(plan, from: record, at: time, outcomeFeaturesOnly: false)
    }

    public func recordOutcome(_ plan: CounterPlan, from record: FactRecord, at time: Int64) {
        write(plan, from: record, at: time, outcomeFeaturesOnly: true)
    }

    /// Records many events in pipelines of up to `RedisPipeliner.commandsPerBatchMax`
    /// commands (a rebuild after a restart, bulk loads): far fewer round trips than one by one.
    public func recordEvents(_ plan: CounterPlan, _ events: [(record: FactRecord, time: Int64, isOutcome: Bool)]) {
        var commands = RedisCommandBuffer()
        func flush() {
            do throws(RedisError) {
                for reply in try pipeline.execute(commands) {
                    if case .error(let message) = reply { throw RedisError(message) }
                }
            } catch {
                fail(error)
            }
            commands.removeAll()
        }
        for event in events {
            appendWrites(plan, from: event.record, at: event.time, outcomeFeaturesOnly: event.isOutcome, to: &commands)
            if commands.count >= RedisPipeliner.commandsPerBatchMax - 64 { flush() }
        }
        if !commands.isEmpty { flush() }
    }

    private func write(_ plan: CounterPlan, from record: FactRecord, at time: Int64, outcomeFeaturesOnly: Bool) {
        do throws(RedisError) {
            var commands = RedisCommandBuffer()
            appendWrites(plan, from: record, at: time, outcomeFeaturesOnly: outcomeFeaturesOnly, to: &commands)
            for reply in try pipeline.execute(commands) {
                if case .error(let message) = reply { throw RedisError(message) }
            }
        } catch {
            fail(error)
        }
    }

    private func appendWrites(_ plan: CounterPlan, from record: FactRecord, at time: Int64, outcomeFeaturesOnly: Bool,
                              to commands: inout RedisCommandBuffer) {
        for feature in plan.features where (!outcomeFeaturesOnly || feature.spec.filterReadsOutcome) && plan.counts(feature, record) {
            guard let key = plan.key(feature, in: record) else { continue }
            let start = Self.bucketStart(time, bucketSeconds: feature.bucketSeconds)
            let ttlMilliseconds = (feature.windowSeconds + feature.bucketSeconds + 1) * 1_000
            if feature.function == .distinct {
                guard let valueSlot = feature.valueSlot,
                      var valueHash = CounterPlan.hash(slot: valueSlot, type: feature.valueType!, in: record) else { continue }
                let redisKey = distinctKey(key)
                commands.begin(5)
                commands.argument("ZADD")
                commands.argument(redisKey)
                commands.argument("GT")
                commands.argument(time)
                withUnsafeBytes(of: &valueHash) { commands.argument($0) }
                commands.begin(4)
                commands.argument("ZREMRANGEBYSCORE")
                commands.argument(redisKey)
                commands.argument("-inf")
                commands.argument(time - feature.windowSeconds - feature.bucketSeconds)
                // Bounded memory: beyond the cap the oldest values go (distinct then undercounts).
                commands.begin(4)
                commands.argument("ZREMRANGEBYRANK")
                commands.argument(redisKey)
                commands.argument("0")
                commands.argument(Int64(-(limits.redisDistinctValuesMax + 1)))
                commands.begin(3)
                commands.argument("PEXPIRE")
                commands.argument(redisKey)
                commands.argument(ttlMilliseconds)
                continue
            }
            let redisKey = hashKey(key)
            commands.begin(4)
            commands.argument("HINCRBY")
            commands.argument(redisKey)
            commands.argument("c:", start)
            commands.argument("1")
            if feature.usesValueBuckets, let valueSlot = feature.valueSlot, let value = record.word(valueSlot) {
                commands.begin(4)
                commands.argument("HINCRBY")
                commands.argument(redisKey)
                commands.argument("n:", start)
                commands.argument("1")
                commands.begin(4)
                commands.argument("HINCRBY")
                commands.argument(redisKey)
                commands.argument("s:", start)
                commands.argument(value)
                if feature.function == .min || feature.function == .max {
                    let isMin = feature.function == .min
                    commands.begin(7)
                    commands.argument("EVAL")
                    commands.argument(Array(Self.extremeScript.utf8))
                    commands.argument("1")
                    commands.argument(redisKey)
                    if isMin { commands.argument("m:", start) } else { commands.argument("x:", start) }
                    commands.argument(value)
                    commands.argument(isMin ? "min" : "max")
                }
            }
            commands.begin(3)
            commands.argument("PEXPIRE")
            commands.argument(redisKey)
            commands.argument(ttlMilliseconds)
        }
    }
}
