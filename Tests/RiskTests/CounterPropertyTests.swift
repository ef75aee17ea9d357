import Foundation
import Risk
import Rules
import Testing
import TollgateCore

/// Random event streams through the in-memory counters, every feature value
/// compared with a brute-force scan of all earlier events.
@Suite("Velocity counters against brute force")
struct CounterPropertyTests {
    static let source = """
    let card_count_10m   = count(payments by card over 10m)
    let card_sum_1h      = sum(amount by card over 1h)
    let customer_avg_2h  = avg(amount by customer over 2h)
    let pair_min_30m     = min(amount by card, merchant over 30m)
    let merchant_max_24h = max(amount by merchant over 24h)
    let ip_cards_1h      = distinct(card by ip over 1h)
    let card_big_1h      = count(payments by card over 1h where amount > 50.00)
    let customer_sum_7d  = sum(amount by customer over 7d)
    let merchant_cards_30d = distinct(card by merchant over 30d)
    let card_count_3d    = count(payments by card over 3d)

    rule busy_card: block if card_count_10m > 1000 and card_sum_1h > 0 and customer_avg_2h > 0 and pair_min_30m > 0
        and merchant_max_24h > 0 and ip_cards_1h > 0 and card_big_1h > 0 and customer_sum_7d > 0
        and merchant_cards_30d > 0 and card_count_3d > 0
    """

    struct CompileFailure: Error {}

    struct Event {
        var time: Int64
        var card: String?
        var customer: String
        var merchant: String
        var ip: String
        var amountScaled: Int64
    }

    static func ruleSet() throws -> RuleSet {
        let result = RuleCompiler.compile(SourceFile(path: "counters.rules", text: source))
        guard let ruleSet = result.ruleSet else {
            Issue.record("the test rule file does not compile: \(result.diagnostics.map(\.message))")
            throw CompileFailure()
        }
        return ruleSet
    }

    /// One test body for every counter store: in memory, and Redis (a real
    /// `redis-server` started by `make test`).
    @Test("every feature equals the brute-force value",
          arguments: [1, 2, 3, 4] as [UInt64], [CounterStoreKind.memory, CounterStoreKind.redis])
    func randomStreams(seed: UInt64, kind: CounterStoreKind) throws {
        let ruleSet = try Self.ruleSet()
        let plan = CounterPlan(ruleSet: ruleSet)
        guard let store = try kind.makeStore() else { return }
        let layout = ruleSet.layout
        func slot(_ name: String) -> Int { layout.slot(named: name)!.index }
        var random = SeededRandom(seed: seed)
        var events: [Event] = []
        var time: Int64 = 1_700_000_000
        let record = ruleSet.makeRecord()
        var compared = 0
        for _ in 0..<1_500 {
            // Ties, small steps, steps across window edges, and jumps past whole windows.
            switch random.below(10) {
            case 0, 1: break
            case 2...6: time += Int64(random.below(90))
            case 7, 8: time += [599, 600, 601, 3_599, 3_600, 3_601, 86_399, 86_400][random.below(8)]
            default: time += Int64(random.below(4 * 86_400))
            }
            let event = Event(
                time: time, card: random.chance(0.05) ? nil : "card\(random.below(12))",
                customer: "cust\(random.below(8))", merchant: "m\(random.below(4))", ip: "ip\(random.below(6))",
                amountScaled: Int64(1 + random.below(20_000)) * 100)
            record.reset()
            if let card = event.card { record.setString(slot("card"), card) }
            record.setString(slot("customer"), event.customer)
            record.setString(slot("merchant"), event.merchant)
            record.setString(slot("ip"), event.ip)
            record.setMoney(slot("amount"), scaledUnits: event.amountScaled)
            store.readFeatures(plan, into: record, at: event.time)
            for feature in plan.features {
                let expected = Self.bruteForce(feature, event, events)
                let actual: Double? = feature.resultType == .decimal ? record.double(feature.slot) : record.word(feature.slot).map(Double.init)
                #expect(actual == expected, "\(feature.name) at event \(events.count)")
                compared += 1
            }
            store.recordEvent(plan, from: record, at: event.time)
            events.append(event)
        }
        #expect(compared == 15_000)
        if let redis = store as? RedisCounterStore { #expect(redis.errorCount == 0, "\(redis.lastError ?? "")") }
    }

    /// The definition, by scanning: events before this one with the same key, in
    /// the window (exact: time in (now − W, now]; long windows: whole buckets of
    /// W/100 that overlap it, as README "Velocity counters" states).
    static func bruteForce(_ feature: CounterPlan.Feature, _ now: Event, _ history: [Event]) -> Double? {
        func key(_ event: Event) -> [String]? {
            var parts: [String] = []
            for name in feature.spec.keyFacts {
                switch name {
                case "card": guard let card = event.card else { return nil }; parts.append(card)
                case "customer": parts.append(event.customer)
                case "merchant": parts.append(event.merchant)
                case "ip": parts.append(event.ip)
                default: preconditionFailure("key \(name)")
                }
            }
            return parts
        }
        guard let nowKey = key(now) else { return nil }
        let window = feature.windowSeconds, bucket = feature.bucketSeconds
        let inWindow = history.filter { event in
            guard key(event) == nowKey else { return false }
            if feature.spec.filterSource != nil && !(event.amountScaled > 50 * 10_000) { return false }
            if bucket == 1 { return event.time > now.time - window && event.time <= now.time }
            let start = event.time - ((event.time % bucket) + bucket) % bucket
            return start >= now.time - window - bucket + 1 && event.time <= now.time
        }
        let amounts = inWindow.map(\.amountScaled)
        switch feature.function {
        case .count: return Double(inWindow.count)
        case .sum: return Double(amounts.reduce(0, +))
        case .avg:
            guard !amounts.isEmpty else { return nil }
            let sum = amounts.reduce(0, +), count = Int64(amounts.count)
            let quotient = sum / count
            return Double(2 * (sum % count) >= count ? quotient + 1 : quotient)
        case .min: return amounts.min().map(Double.init)
        case .max: return amounts.max().map(Double.init)
        case .distinct:
            // distinct looks at last-seen times: (now − W, now] exact, (now − W − B, now] for long windows.
            let from = bucket == 1 ? now.time - window : now.time - window - bucket
            let cards = history.filter { key($0) == nowKey && $0.time > from && $0.time <= now.time }.compactMap(\.card)
            return Double(Set(cards).count)
        }
    }

    @Test("long windows never undercount and overcount by at most one bucket")
    func longWindowError() throws {
        let ruleSet = try Self.ruleSet()
        let plan = CounterPlan(ruleSet: ruleSet)
        let feature = try #require(plan.features.first { $0.name == "card_count_3d" })
        #expect(feature.bucketSeconds == 2_592)
        let store = InMemoryCounterStore()
        let record = ruleSet.makeRecord()
        let cardSlot = ruleSet.layout.slot(named: "card")!.index
        var times: [Int64] = []
        var random = SeededRandom(seed: 9)
        var time: Int64 = 1_000_000
        for _ in 0..<2_000 {
            time += Int64(random.below(600))
            record.reset()
            record.setString(cardSlot, "c")
            store.readFeatures(plan, into: record, at: time)
            let exact = times.filter { $0 > time - 259_200 }.count
            let oneBucket = times.filter { $0 > time - 259_200 - 2_592 && $0 <= time - 259_200 }.count
            let value = Int(record.word(feature.slot)!)
            #expect(value >= exact && value <= exact + oneBucket)
            store.recordEvent(plan, from: record, at: time)
            times.append(time)
        }
    }

    @Test("distinct past its exact bound: a sliding HyperLogLog within 10% (3 standard errors)")
    func distinctSketch() throws {
        let ruleSet = try Self.ruleSet()
        let plan = CounterPlan(ruleSet: ruleSet)
        let feature = try #require(plan.features.first { $0.name == "ip_cards_1h" })
        let store = InMemoryCounterStore()
        let record = ruleSet.makeRecord()
        let layout = ruleSet.layout
        // 20,000 payments from one IP over 2 hours, each with a new card.
        for index in 0..<20_000 {
            record.reset()
            record.setString(layout.slot(named: "ip")!.index, "farm")
            record.setString(layout.slot(named: "card")!.index, "card-\(index)")
            store.recordEvent(plan, from: record, at: 10_000 + Int64(index * 7_200 / 20_000))
        }
        record.reset()
        record.setString(layout.slot(named: "ip")!.index, "farm")
        store.readFeatures(plan, into: record, at: 17_200)
        // Cards seen in (14,000 s, 17,200 s]: the last 3,200 s of the stream.
        let seenTimes: [Int] = (0..<20_000).map { (index: Int) -> Int in 10_000 + index * 7_200 / 20_000 }
        let expected = Double(seenTimes.filter { $0 > 13_600 }.count)
        let estimate = Double(record.word(feature.slot)!)
        #expect(abs(estimate - expected) / expected < 0.10, "estimate \(estimate), exact \(expected)")
    }

    @Test("idle keys are dropped; a missing key reads as missing")
    func idleKeysExpire() throws {
        let ruleSet = try Self.ruleSet()
        let plan = CounterPlan(ruleSet: ruleSet)
        var limits = CounterLimits()
        limits.updatesPerIdleSweep = 1
        let store = InMemoryCounterStore(limits: limits, shardCount: 1)
        let record = ruleSet.makeRecord()
        let layout = ruleSet.layout
        record.setString(layout.slot(named: "card")!.index, "a")
        record.setString(layout.slot(named: "customer")!.index, "x")
        record.setString(layout.slot(named: "merchant")!.index, "m")
        record.setString(layout.slot(named: "ip")!.index, "i")
        record.setMoney(layout.slot(named: "amount")!.index, scaledUnits: 100 * 10_000)
        store.recordEvent(plan, from: record, at: 0)
        #expect(store.keyCount == plan.features.count)
        // Long after the longest window (30 days), one more event sweeps the idle keys away.
        record.setString(layout.slot(named: "card")!.index, "b")
        store.recordEvent(plan, from: record, at: 40 * 86_400)
        #expect(store.keyCount <= plan.features.count)
        record.setMissing(layout.slot(named: "card")!.index)
        store.readFeatures(plan, into: record, at: 40 * 86_400 + 1)
        #expect(record.word(plan.features[0].slot) == nil)
    }
}

/// The counter stores the shared test bodies run against.
enum CounterStoreKind: String, Sendable, CustomStringConvertible {
    case memory, redis

    var description: String { rawValue }

    static var redisURL: String? { ProcessInfo.processInfo.environment["TOLLGATE_TEST_REDIS_URL"] }
    static var serversRequired: Bool { ProcessInfo.processInfo.environment["TOLLGATE_REQUIRE_SERVERS"] == "1" }

    /// A fresh, empty store; nil (the test is skipped, saying why) when Redis is not available.
    func makeStore() throws -> CounterStore? {
        switch self {
        case .memory:
            return InMemoryCounterStore()
        case .redis:
            guard let url = Self.redisURL else {
                if Self.serversRequired { Issue.record("TOLLGATE_TEST_REDIS_URL is not set") }
                print("skipping Redis: TOLLGATE_TEST_REDIS_URL is not set (run the tests through `make test`)")
                return nil
            }
            // A key prefix of its own, so test cases running at once never share keys.
            return try RedisCounterStore(url: url, keyPrefix: "test-\(UUID().uuidString)")
        }
    }
}
