import Dispatch
import Foundation
import Ledger
import Store
import Testing
import TollgateCore

@Suite("Ledger under concurrency")
struct ConcurrencyTests {
    /// One submission and what the ledger answered.
    struct Outcome: Sendable {
        var transfers: [Transfer]
        var results: [TransferResult]
    }

    @Test("12 threads on one hot merchant: balances equal a sequential replay of what committed", arguments: Backend.allCases)
    func hotAccount(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            let fundingIDs: [LedgerID] = [Accounts.funding, 31, 32, 33]
            #expect(try ledger.createAccounts(fundingIDs.dropFirst().map {
                Account(id: $0, currency: usd, code: AccountCode.customerFundingSource.rawValue)
            }) == [.created, .created, .created])
            let threadCount = 12
            let submissionsPerThread = 150
            let collected = Mutexed<[Outcome]>([])
            ParallelThreads.run(count: threadCount) { thread in
                var random = SeededRandom(seed: UInt64(thread + 1) * 7_919)
                var myPending: [LedgerID] = []
                var outcomes: [Outcome] = []
                for index in 0..<submissionsPerThread {
                    let base = LedgerID(thread) << 32 | LedgerID(index) << 4
                    var transfers: [Transfer] = []
                    switch random.below(6) {
                    case 0, 1:
                        transfers = [pay(base, Int64(1 + random.below(5_000)), from: fundingIDs[random.below(4)])]
                    case 2:
                        transfers = [pay(base, Int64(1 + random.below(5_000)), from: fundingIDs[random.below(4)], kind: .pending)]
                        myPending.append(base)
                    case 3:
                        // Payouts race every deposit for the merchant's balance limit.
                        transfers = [pay(base, Int64(1 + random.below(8_000)), from: Accounts.merchant, to: Accounts.payout)]
                    case 4:
                        // Capture with a fee leg, linked: sometimes someone else's hold (already resolved).
                        let pending = myPending.popLast() ?? LedgerID(random.below(threadCount)) << 32 | LedgerID(random.below(index + 1)) << 4
                        transfers = [post(base, pending: pending, amount: Int64(1 + random.below(3_000)), linked: true),
                                     pay(base + 1, Int64(random.below(100) + 1), from: Accounts.merchant, to: Accounts.fees)]
                    default:
                        if let pending = myPending.popLast() { transfers = [void(base, pending: pending)] } else {
                            transfers = [pay(base, 1, from: fundingIDs[random.below(4)])]
                        }
                    }
                    if let results = try? ledger.createTransfers(transfers) {
                        outcomes.append(Outcome(transfers: transfers, results: results))
                    } else {
                        Issue.record("a submission threw")
                    }
                }
                collected.withLock { $0 += outcomes }
            }
            let outcomes = collected.withLock { $0 }
            #expect(outcomes.count == threadCount * submissionsPerThread)
            // Replay what committed, in the ledger's commit order, through a plain model.
            var committed: [(Int64, Transfer)] = []
            for outcome in outcomes {
                for (transfer, result) in zip(outcome.transfers, outcome.results) where result == .created {
                    let stored = try #require(try ledger.transfer(id: transfer.id))
                    committed.append((stored.timestamp, transfer))
                }
                for (transfer, result) in zip(outcome.transfers, outcome.results) where !result.isSuccess {
                    #expect(try ledger.transfer(id: transfer.id) == nil, "a rejected transfer left no row")
                }
            }
            var model = ReferenceLedger(limitedDebits: [Accounts.merchant])
            for (_, transfer) in committed.sorted(by: { $0.0 < $1.0 }) {
                let isValid = model.apply(transfer)
                #expect(isValid, "transfer \(transfer.id) is valid in commit order")
            }
            for id in fundingIDs + [Accounts.merchant, Accounts.fees, Accounts.payout] {
                #expect(try balances(ledger, id) == model.balances(id), "account \(id)")
            }
            #expect(committed.count > 500)
            #expect(outcomes.contains { $0.results.contains(.exceedsCredits) }, "the limit was actually contended")
        }
    }

    @Test("a full queue answers overloaded at once; nothing grows without bound")
    func overload() throws {
        var options = LedgerOptions()
        options.queueEventsMax = 5
        options.batchEventsMax = 1
        try withLedger(.sqlite, options: options) { ledger, location in
            try Accounts.create(in: ledger)
            // Another connection holds the write lock, so the writer stalls on its first batch.
            let blocker = try SQLiteConnection(path: location.address)
            try blocker.execute("BEGIN IMMEDIATE")
            let overloaded = DispatchSemaphore(value: 0)
            let results = Mutexed<[Result<[TransferResult], LedgerError>]>([])
            let submitters = 12
            let group = DispatchGroup()
            for index in 0..<submitters {
                DispatchQueue.global().async(group: group) {
                    let result: Result<[TransferResult], LedgerError>
                    do throws(LedgerError) {
                        result = .success(try ledger.createTransfers([pay(LedgerID(100 + index), 1)]))
                    } catch {
                        result = .failure(error)
                        overloaded.signal()
                    }
                    results.withLock { $0.append(result) }
                }
            }
            // At most one batch of one in flight and five queued: at least six refused.
            for _ in 0..<6 { #expect(overloaded.wait(timeout: .now() + 30) == .success) }
            try blocker.execute("COMMIT")
            group.wait()
            let all = results.withLock { $0 }
            let refused = all.filter { if case .failure(.overloaded(5)) = $0 { return true } else { return false } }
            let created = all.filter { if case .success([.created]) = $0 { return true } else { return false } }
            #expect(refused.count >= 6 && refused.count + created.count == submitters)
            #expect(try ledger.transfers(of: Accounts.merchant).count == created.count)
            #expect(ledger.writerMetrics.overloadedSubmissions == refused.count)
        }
    }

    @Test("a database written by a newer version is refused", arguments: Backend.allCases)
    func newerSchemaRefused(backend: Backend) throws {
        try withLedger(backend) { ledger, location in
            ledger.close()
            switch backend {
            case .sqlite: try SQLiteConnection(path: location.address).execute("UPDATE schema_versions SET version = 99 WHERE component = 'ledger'")
            case .postgres: try PostgresConnection(url: location.address).execute("UPDATE schema_versions SET version = 99 WHERE component = 'ledger'")
            }
            #expect(throws: MigrationError.self) { _ = try location.open() }
            switch backend {
            case .sqlite: try SQLiteConnection(path: location.address).execute("UPDATE schema_versions SET version = 1 WHERE component = 'ledger'")
            case .postgres: try PostgresConnection(url: location.address).execute("UPDATE schema_versions SET version = 1 WHERE component = 'ledger'")
            }
        }
    }
}

/// The obvious sequential ledger: balances in dictionaries, no storage, no batching.
struct ReferenceLedger {
    var debitsPending: [LedgerID: Int64] = [:]
    var debitsPosted: [LedgerID: Int64] = [:]
    var creditsPending: [LedgerID: Int64] = [:]
    var creditsPosted: [LedgerID: Int64] = [:]
    var pending: [LedgerID: Transfer] = [:]
    let limitedDebits: Set<LedgerID>

    init(limitedDebits: Set<LedgerID>) { self.limitedDebits = limitedDebits }

    /// Applies a transfer known to have committed; false if it breaks a rule here.
    mutating func apply(_ transfer: Transfer) -> Bool {
        switch transfer.kind {
        case .single:
            debitsPosted[transfer.debitAccountID, default: 0] += transfer.amount
            creditsPosted[transfer.creditAccountID, default: 0] += transfer.amount
        case .pending:
            debitsPending[transfer.debitAccountID, default: 0] += transfer.amount
            creditsPending[transfer.creditAccountID, default: 0] += transfer.amount
            pending[transfer.id] = transfer
        case .postPending, .voidPending:
            guard let hold = pending.removeValue(forKey: transfer.pendingID) else { return false }
            debitsPending[hold.debitAccountID, default: 0] -= hold.amount
            creditsPending[hold.creditAccountID, default: 0] -= hold.amount
            if transfer.kind == .postPending {
                guard transfer.amount <= hold.amount else { return false }
                debitsPosted[hold.debitAccountID, default: 0] += transfer.amount
                creditsPosted[hold.creditAccountID, default: 0] += transfer.amount
            }
        }
        return limitedDebits.allSatisfy { id in
            debitsPending[id, default: 0] + debitsPosted[id, default: 0] <= creditsPosted[id, default: 0]
        }
    }

    func balances(_ id: LedgerID) -> [Int64] {
        [debitsPending[id, default: 0], debitsPosted[id, default: 0], creditsPending[id, default: 0], creditsPosted[id, default: 0]]
    }
}

/// A value behind a lock, for collecting results from many threads.
final class Mutexed<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
