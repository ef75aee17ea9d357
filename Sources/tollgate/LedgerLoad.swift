import Foundation
import Ledger
import TollgateCore

/// `tollgate ledger load`: many threads submitting a payment-like mix of
/// transfers (deposits, holds, captures with a linked fee leg, voids, payouts
/// against a limited merchant balance). Used by the crash test, which kills it
/// with SIGKILL and checks that every acknowledged transfer survived.
enum LedgerLoad {
    static let merchantCount = 16
    static let fundingCount = 64

    static func run(_ options: CommandLineOptions) -> Int32 {
        let submitters = Int(options["submitters"] ?? "8") ?? 0
        let seconds = Double(options["seconds"] ?? "10") ?? -1
        let transferLimit = Int(options["transfers"] ?? "\(Int.max)") ?? 0
        let batch = Int(options["batch"] ?? "1") ?? 0
        let seed = UInt64(options["seed"] ?? "1") ?? 0
        guard (1...1_024).contains(submitters), seconds > 0, transferLimit > 0, (1...8_000).contains(batch) else {
            return TollgateCommand.usageError("--submitters must be 1…1024, --seconds and --transfers positive numbers, --batch 1…8000")
        }
        guard let ledger = LedgerCommand.open(options, mustExist: false) else { return 1 }
        defer { ledger.close() }
        do {
            let accounts = (0..<merchantCount).map {
                Account(id: merchantID($0), currency: .usd, code: AccountCode.merchantAvailable.rawValue, flags: .debitsMustNotExceedCredits)
            } + (0..<fundingCount).map {
                Account(id: fundingID($0), currency: .usd, code: AccountCode.customerFundingSource.rawValue)
            } + [Account(id: feesID, currency: .usd, code: AccountCode.gatewayFees.rawValue),
                 Account(id: payoutID, currency: .usd, code: AccountCode.payoutClearing.rawValue)]
            let results = try ledger.createAccounts(accounts)
            guard results.allSatisfy(\.isSuccess) else {
                printError("tollgate: error: cannot create the load accounts: \(Set(results.map(\.rawValue)).sorted())")
                return 1
            }
        } catch {
            printError("tollgate: error: \(error)")
            return 1
        }
        // A run nonce in the high bits keeps ids unique across restarts of the same load.
        let runNonce = LedgerID(UInt64(LedgerOptions.systemClock())) << 64
        let printAcks = options.has("acks")
        let output = AckPrinter()
        let deadline = Date(timeIntervalSinceNow: seconds)
        let counters = LoadCounters()
        let started = Date()
        ParallelThreads.run(count: submitters) { submitter in
            var random = SeededRandom(seed: seed &* 1_000_003 &+ UInt64(submitter))
            var holds: [Hold] = []
            var sequence: UInt64 = 0
            func nextID() -> LedgerID {
                sequence += 1
                return runNonce | LedgerID(submitter) << 40 | LedgerID(sequence)
            }
            while Date() < deadline && counters.submitted < transferLimit {
                var transfers: [Transfer] = []
                while transfers.count < batch {
                    transfers += nextTransfers(&random, &holds, nextID)
                }
                do {
                    let results = try ledger.createTransfers(transfers)
                    var acknowledged: [LedgerID] = []
                    for (transfer, result) in zip(transfers, results) where result.isSuccess {
                        acknowledged.append(transfer.id)
                    }
                    counters.add(submitted: transfers.count, created: acknowledged.count)
                    if printAcks { output.print(acknowledged) }
                } catch LedgerError.overloaded(_) {
                    counters.addOverloaded()
                } catch {
                    printError("tollgate: error: \(error)")
                    counters.addFailure()
                    return
                }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        let summary = counters.snapshot
        printError("ledger load: \(summary.submitted) transfers submitted, \(summary.created) created, \(summary.overloaded) overloaded submissions in \(String(format: "%.2f", elapsed)) s (\(Int(Double(summary.submitted) / elapsed)) transfers/s)")
        return summary.failures == 0 ? 0 : 1
    }

    struct Hold {
        var id: LedgerID
        var amount: Int64
        var merchant: LedgerID
    }

    static func merchantID(_ index: Int) -> LedgerID { 0x1_0000 + LedgerID(index) }
    static func fundingID(_ index: Int) -> LedgerID { 0x2_0000 + LedgerID(index) }
    static let feesID: LedgerID = 0x3_0000
    static let payoutID: LedgerID = 0x3_0001

    /// One step of the mix: a deposit, a hold, a capture of an own hold with its fee leg, a void, or a payout.
    static func nextTransfers(_ random: inout SeededRandom, _ holds: inout [Hold],
                              _ nextID: () -> LedgerID) -> [Transfer] {
        let merchant = merchantID(random.below(merchantCount))
        let funding = fundingID(random.below(fundingCount))
        let amount = Int64(100 + random.below(20_000))
        switch random.below(10) {
        case 0...4:
            return [Transfer(id: nextID(), debitAccountID: funding, creditAccountID: merchant, amount: amount, currency: .usd)]
        case 5, 6:
            let id = nextID()
            holds.append(Hold(id: id, amount: amount, merchant: merchant))
            return [Transfer(id: id, debitAccountID: funding, creditAccountID: merchant, amount: amount, currency: .usd,
                             kind: .pending, timeoutSeconds: 7 * 86_400)]
        case 7:
            guard let hold = holds.popLast() else { fallthrough }
            // Capture with the gateway's fee taken from the merchant in the same linked chain.
            let fee = hold.amount * 29 / 1_000 + 30
            return [Transfer(id: nextID(), amount: hold.amount, kind: .postPending, pendingID: hold.id, isLinked: true),
                    Transfer(id: nextID(), debitAccountID: hold.merchant, creditAccountID: feesID, amount: fee, currency: .usd)]
        case 8:
            guard let hold = holds.popLast() else { fallthrough }
            return [Transfer(id: nextID(), amount: 0, kind: .voidPending, pendingID: hold.id)]
        default:
            return [Transfer(id: nextID(), debitAccountID: merchant, creditAccountID: payoutID, amount: amount / 2, currency: .usd)]
        }
    }
}

/// Totals shared by the submitter threads.
private final class LoadCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var submittedCount = 0
    private var createdCount = 0
    private var overloadedCount = 0
    private var failureCount = 0

    var submitted: Int { lock.withLock { submittedCount } }
    var snapshot: (submitted: Int, created: Int, overloaded: Int, failures: Int) {
        lock.withLock { (submittedCount, createdCount, overloadedCount, failureCount) }
    }

    func add(submitted: Int, created: Int) { lock.withLock { submittedCount += submitted; createdCount += created } }
    func addOverloaded() { lock.withLock { overloadedCount += 1 } }
    func addFailure() { lock.withLock { failureCount += 1 } }
}

/// Writes "ack <hex id>" lines straight to stdout (unbuffered), so a line read
/// by a parent means the ledger had already made the transfer durable.
private final class AckPrinter: @unchecked Sendable {
    private let lock = NSLock()

    func print(_ ids: [LedgerID]) {
        guard !ids.isEmpty else { return }
        var text = ""
        for id in ids { text += "ack \(String(id, radix: 16))\n" }
        lock.withLock {
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
