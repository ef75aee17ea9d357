import Foundation
import Synchronization
import Risk
import Rules
import TollgateCore

/// In-memory velocity counters: read a payment's feature, then record it, with
/// many distinct keys (the online and batch pattern), and memory per key for a
/// skewed population of keys over a 24-hour window.
enum CountersBenchmark {
    static let source = """
    let card_count_24h = count(payments by card over 24h)
    rule busy: review if card_count_24h > 100
    """

    static func run(keys: Int, updates: Int, memoryKeys: Int) throws {
        let compiled = RuleCompiler.compile(SourceFile(path: "bench.rules", text: source))
        guard let ruleSet = compiled.ruleSet else { throw BenchError("benchmark rules do not compile") }
        let plan = CounterPlan(ruleSet: ruleSet)
        let cardSlot = ruleSet.layout.slot(named: "card")!.index
        // Card ids made beforehand so the timing is the counters, not string building.
        let cards = (0..<keys).map { "card-\($0)" }
        var random = SeededRandom(seed: 4_242)
        let order = (0..<updates).map { _ in random.below(keys) }
        var rates: [Double] = []
        for _ in 0..<3 {
            let store = InMemoryCounterStore()
            let record = ruleSet.makeRecord()
            var time: Int64 = 1_700_000_000
            let started = DispatchTime.now().uptimeNanoseconds
            for (index, card) in order.enumerated() {
                if index & 15 == 0 { time += 1 }
                record.setString(cardSlot, cards[card])
                store.readFeatures(plan, into: record, at: time)
                store.recordEvent(plan, from: record, at: time)
            }
            rates.append(Double(updates) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
        }
        print("counters_keys=\(keys)")
        print("updates_per_second_per_core=\(Int(rates.sorted()[1]))")

        // Memory: most keys see a few events, a few see thousands (Zipf-like), all within 24 hours.
        let store = InMemoryCounterStore()
        let record = ruleSet.makeRecord()
        var skewed = SeededRandom(seed: 77)
        var events = 0
        for key in 0..<memoryKeys {
            let eventsForKey = key % 10_000 == 0 ? 2_000 : (skewed.chance(0.1) ? 2 + skewed.below(20) : 1 + skewed.below(3))
            record.setString(cardSlot, "card-\(key)")
            for event in 0..<eventsForKey {
                store.recordEvent(plan, from: record, at: 1_700_000_000 + Int64(event * 86_400 / max(1, eventsForKey)))
            }
            events += eventsForKey
        }
        let bytes = store.approximateBytes
        print("memory_keys=\(store.keyCount)")
        print("memory_events=\(events)")
        print("memory_bytes=\(bytes)")
        print("bytes_per_key=\(bytes / max(1, store.keyCount))")
        print("resident_bytes=\(residentBytes())")
    }

    /// The Redis store as the gateway uses it: many request threads, each
    /// payment one pipelined read (all features) and one pipelined write.
    static func runRedis(url: String, threads: Int, seconds: Double, keys: Int) throws {
        let compiled = RuleCompiler.compile(SourceFile(path: "bench.rules", text: source))
        guard let ruleSet = compiled.ruleSet else { throw BenchError("benchmark rules do not compile") }
        let plan = CounterPlan(ruleSet: ruleSet)
        let cardSlot = ruleSet.layout.slot(named: "card")!.index
        let store = try RedisCounterStore(url: url, keyPrefix: "bench")
        let events = Atomic<Int>(0)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let started = DispatchTime.now().uptimeNanoseconds
        ParallelThreads.run(count: threads) { thread in
            var random = SeededRandom(seed: UInt64(thread + 1))
            let record = ruleSet.makeRecord()
            var done = 0
            while DispatchTime.now().uptimeNanoseconds < deadline {
                let time = Int64(1_700_000_000 + done / 16)
                record.reset()
                record.setString(cardSlot, "card-\(random.below(keys))")
                store.readFeatures(plan, into: record, at: time)
                store.recordEvent(plan, from: record, at: time)
                done += 1
            }
            events.add(done, ordering: .relaxed)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let total = events.load(ordering: .relaxed)
        print("redis_threads=\(threads)")
        print("redis_events_per_second=\(Int(Double(total) / elapsed))")
        // Each event: HGETALL (read), HINCRBY + PEXPIRE (write) for the one count feature.
        print("redis_commands_per_second=\(Int(Double(total * 3) / elapsed))")
        print("redis_errors=\(store.errorCount)")

        // Pipelined: one thread records D payments per pipeline (D = 16, as redis-benchmark -P 16
        // sends INCRs, and 256), what a rebuild after a restart or a bulk load does through `recordEvents`.
        for depth in [16, 256] {
            let bulkRecords = (0..<depth).map { _ in ruleSet.makeRecord() }
            var random = SeededRandom(seed: 99)
            var recorded = 0
            let bulkStarted = DispatchTime.now().uptimeNanoseconds
            let bulkDeadline = bulkStarted + UInt64(seconds * 1e9)
            while DispatchTime.now().uptimeNanoseconds < bulkDeadline {
                let time = Int64(1_700_000_000 + recorded / 256)
                for record in bulkRecords {
                    record.reset()
                    record.setString(cardSlot, "card-\(random.below(keys))")
                }
                store.recordEvents(plan, bulkRecords.map { ($0, time, false) })
                recorded += bulkRecords.count
            }
            let bulkSeconds = Double(DispatchTime.now().uptimeNanoseconds - bulkStarted) / 1e9
            print("redis_pipelined_\(depth)_updates_per_second=\(Int(Double(recorded) / bulkSeconds))")
        }
        print("redis_errors_after_bulk=\(store.errorCount)")
    }

    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib * 1_024
    }
}
