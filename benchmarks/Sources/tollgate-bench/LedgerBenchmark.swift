import Foundation
import Ledger
import TollgateCore

/// Durable single-phase transfers per second through the group-commit writer:
/// N submitter threads, each submitting `transfersPerSubmission` transfers at a
/// time and waiting for them to be durable, for a fixed time. The same write
/// shape as benchmarks/ledger/sqlite_ceiling.c (random funding → merchant).
enum LedgerBenchmark {
    static let fundingCount = 1_000
    static let merchantCount = 100

    static func run(path: String?, databaseURL: String?, submitterCounts: [Int], transfersPerSubmission: Int, seconds: Double) throws {
        let ledger: Ledger
        if let databaseURL {
            ledger = try Ledger.openPostgres(url: databaseURL)
        } else {
            ledger = try Ledger.openSQLite(path: path ?? "benchmarks/out/ledger/bench.db")
        }
        defer { ledger.close() }
        let accounts = (0..<merchantCount).map {
            Account(id: LedgerID(1 + $0), currency: .usd, code: AccountCode.merchantAvailable.rawValue)
        } + (0..<fundingCount).map {
            Account(id: LedgerID(1_001 + $0), currency: .usd, code: AccountCode.customerFundingSource.rawValue)
        }
        for chunk in stride(from: 0, to: accounts.count, by: 1_000) {
            _ = try ledger.createAccounts(Array(accounts[chunk..<min(chunk + 1_000, accounts.count)]))
        }
        let prefix = databaseURL == nil ? "sqlite" : "postgres"
        for submitters in submitterCounts {
            let result = measure(ledger, submitters: submitters, transfersPerSubmission: transfersPerSubmission, seconds: seconds)
            let label = "\(prefix)_\(submitters)_submitters" + (transfersPerSubmission == 1 ? "" : "_x\(transfersPerSubmission)")
            print("\(label)_transfers_per_second=\(Int(result.transfersPerSecond))")
            print("\(label)_median_latency_ms=\(String(format: "%.4f", result.medianLatencyMilliseconds))")
            print("\(label)_p99_latency_ms=\(String(format: "%.4f", result.p99LatencyMilliseconds))")
            print("\(label)_mean_batch_transfers=\(String(format: "%.1f", result.meanBatchTransfers))")
        }
        let verification = try ledger.verify()
        print("\(prefix)_verified=\(verification.holds ? "yes" : "NO")")
    }

    struct Result {
        var transfersPerSecond: Double
        var medianLatencyMilliseconds: Double
        var p99LatencyMilliseconds: Double
        var meanBatchTransfers: Double
    }

    static func measure(_ ledger: Ledger, submitters: Int, transfersPerSubmission: Int, seconds: Double) -> Result {
        let before = ledger.writerMetrics
        let runNonce = LedgerID(UInt64(LedgerOptions.systemClock())) << 64
        let latencies = LatencyCollector()
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        ParallelThreads.run(count: submitters) { submitter in
            var random = SeededRandom(seed: UInt64(submitter + 1) &* 0x9E37_79B9)
            var sequence: UInt64 = 0
            var mine: [Double] = []
            var created = 0
            while Date() < deadline {
                let transfers = (0..<transfersPerSubmission).map { _ -> Transfer in
                    sequence += 1
                    return Transfer(
                        id: runNonce | LedgerID(submitter) << 40 | LedgerID(sequence),
                        debitAccountID: LedgerID(1_001 + random.below(fundingCount)),
                        creditAccountID: LedgerID(1 + random.below(merchantCount)),
                        amount: Int64(100 + random.below(20_000)), currency: .usd)
                }
                let begin = DispatchTime.now().uptimeNanoseconds
                guard let results = try? ledger.createTransfers(transfers) else { continue }
                mine.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
                created += results.filter { $0 == .created }.count
            }
            latencies.add(mine, created: created)
        }
        let elapsed = Date().timeIntervalSince(started)
        let after = ledger.writerMetrics
        let (samples, created) = latencies.snapshot
        let sorted = samples.sorted()
        let batches = max(1, after.committedBatches - before.committedBatches)
        return Result(
            transfersPerSecond: Double(created) / elapsed,
            medianLatencyMilliseconds: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
            p99LatencyMilliseconds: sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
            meanBatchTransfers: Double(after.committedEvents - before.committedEvents) / Double(batches))
    }
}

private final class LatencyCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Double] = []
    private var created = 0

    func add(_ more: [Double], created more2: Int) {
        lock.withLock {
            samples += more
            created += more2
        }
    }

    var snapshot: ([Double], Int) { lock.withLock { (samples, created) } }
}
