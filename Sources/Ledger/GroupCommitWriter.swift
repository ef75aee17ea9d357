import Foundation
import Store

/// One writer thread that takes everything callers have submitted, applies it
/// in one database transaction (one fsync), then answers each caller with its
/// own results. Callers block until their batch is durable. The queue is
/// bounded: past `queueEventsMax` waiting events a submission is refused with
/// `LedgerError.overloaded` instead of growing memory.
final class GroupCommitWriter: @unchecked Sendable {
    enum Operation {
        case createAccounts([Account])
        case closeAccounts([LedgerID])
        case createTransfers([Transfer])

        var eventCount: Int {
            switch self {
            case let .createAccounts(accounts): return accounts.count
            case let .closeAccounts(ids): return ids.count
            case let .createTransfers(transfers): return transfers.count
            }
        }
    }

    enum Outcome {
        case accounts([CreateAccountResult])
        case closes([CloseAccountResult])
        case transfers([TransferResult])
    }

    private final class Submission {
        let operation: Operation
        let attachment: LedgerAttachment?
        var outcome: Result<Outcome, LedgerError> = .failure(.stopped)
        let done = DispatchSemaphore(value: 0)
        init(_ operation: Operation, attachment: LedgerAttachment?) {
            self.operation = operation
            self.attachment = attachment
        }
    }

    /// An attachment threw: the batch is rolled back and retried without submission `index`.
    private struct AttachmentFailure: Error {
        let index: Int
        let message: String
    }

    private let storage: any LedgerStorage
    private let options: LedgerOptions
    private let condition = NSCondition()
    private var queue: [Submission] = []
    private var queuedEventCount = 0
    private var isStopping = false
    private var lastTimestamp: Int64
    private let stopped = DispatchSemaphore(value: 0)
    private let metricsLock = NSLock()
    private var metrics = LedgerWriterMetrics()

    init(storage: any LedgerStorage, options: LedgerOptions) throws {
        self.storage = storage
        self.options = options
        lastTimestamp = try storage.lastTimestamp()
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "ledger-writer"
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    /// Blocks until the operation is committed (or refused) and returns its results.
    func submit(_ operation: Operation, attachment: LedgerAttachment? = nil) throws(LedgerError) -> Outcome {
        let count = operation.eventCount
        guard count <= options.submissionEventsMax else {
            throw .tooManyEvents(count: count, max: options.submissionEventsMax)
        }
        let submission = Submission(operation, attachment: attachment)
        condition.lock()
        if isStopping {
            condition.unlock()
            throw .stopped
        }
        if queuedEventCount + count > options.queueEventsMax {
            condition.unlock()
            metricsLock.withLock { metrics.overloadedSubmissions += 1 }
            throw .overloaded(queueEventsMax: options.queueEventsMax)
        }
        queue.append(submission)
        queuedEventCount += count
        condition.signal()
        condition.unlock()
        submission.done.wait()
        return try submission.outcome.get()
    }

    /// Finishes what is queued, then stops the thread.
    func stop() {
        condition.lock()
        let wasStopping = isStopping
        isStopping = true
        condition.signal()
        condition.unlock()
        if !wasStopping { stopped.wait() }
    }

    var currentMetrics: LedgerWriterMetrics { metricsLock.withLock { metrics } }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !isStopping {
                // Wake now and then even when idle, so expired holds are released.
                if !condition.wait(until: Date(timeIntervalSinceNow: options.expirySweepIntervalSeconds)) { break }
            }
            let exiting = isStopping && queue.isEmpty
            var taken = 0
            var events = 0
            while taken < queue.count, taken == 0 || events + queue[taken].operation.eventCount <= options.batchEventsMax {
                events += queue[taken].operation.eventCount
                taken += 1
            }
            let batch = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            queuedEventCount -= events
            condition.unlock()
            if exiting {
                stopped.signal()
                return
            }
            commit(batch)
        }
    }

    private func commit(_ fullBatch: [Submission]) {
        var batch = fullBatch
        var attempt = 0
        while true {
            attempt += 1
            do {
                var newLastTimestamp = lastTimestamp
                let outcomes = try storage.writeBatch { transaction in
                    let outcomes = try apply(batch.map(\.operation), in: transaction, lastTimestamp: &newLastTimestamp)
                    for (index, (submission, outcome)) in zip(batch, outcomes).enumerated() {
                        guard let attachment = submission.attachment, case let .transfers(results) = outcome else { continue }
                        do {
                            try attachment(transaction.database, results)
                        } catch let error as PostgresError where error.isRetryable {
                            throw error  // a serialization conflict: the whole batch is retried
                        } catch let error as SQLiteError where error.isBusy {
                            throw error
                        } catch {
                            throw AttachmentFailure(index: index, message: String(describing: error))
                        }
                    }
                    return outcomes
                }
                lastTimestamp = newLastTimestamp
                for (submission, outcome) in zip(batch, outcomes) { submission.outcome = .success(outcome) }
                // An empty batch is the idle expiry sweep: not a commit anyone waited for.
                if !batch.isEmpty { metricsLock.withLock {
                    metrics.committedBatches += 1
                    metrics.committedEvents += batch.reduce(0) { $0 + $1.operation.eventCount }
                    metrics.recordBatchSize(batch.count)
                } }
                break
            } catch let failure as AttachmentFailure {
                // Only that submission fails; the others are applied again without it.
                batch[failure.index].outcome = .failure(.attachmentFailed(failure.message))
                batch.remove(at: failure.index)
                attempt -= 1
                if batch.isEmpty { break }
                continue
            } catch LedgerStorageError.retryable(_) where attempt < options.conflictRetryMax {
                continue
            } catch {
                let failure = (error as? LedgerStorageError) ?? .failed(String(describing: error))
                for submission in batch { submission.outcome = .failure(.storage(failure)) }
                break
            }
        }
        for submission in fullBatch { submission.done.signal() }
    }

    /// Loads what the batch touches, applies it in memory, writes the changes back.
    private func apply(_ operations: [Operation], in transaction: any LedgerWriteTransaction, lastTimestamp: inout Int64) throws -> [Outcome] {
        let now = options.clock()
        var transferIDs: Set<LedgerID> = []
        var accountIDs: Set<LedgerID> = []
        for operation in operations {
            switch operation {
            case let .createAccounts(accounts): accountIDs.formUnion(accounts.map(\.id))
            case let .closeAccounts(ids): accountIDs.formUnion(ids)
            case let .createTransfers(transfers):
                for transfer in transfers {
                    transferIDs.insert(transfer.id)
                    if transfer.pendingID != 0 { transferIDs.insert(transfer.pendingID) }
                    accountIDs.insert(transfer.debitAccountID)
                    accountIDs.insert(transfer.creditAccountID)
                }
            }
        }
        var snapshot = BatchSnapshot()
        let due = try transaction.duePendingTransfers(now: now, limit: options.expiriesPerBatchMax)
        for transfer in try transaction.transfers(ids: transferIDs.sorted()) + due {
            snapshot.transfers[transfer.id] = transfer
            accountIDs.insert(transfer.debitAccountID)
            accountIDs.insert(transfer.creditAccountID)
        }
        accountIDs.remove(0)
        // Sorted: on a shared database, every process locks accounts in the same order (no deadlocks).
        for account in try transaction.accounts(ids: accountIDs.sorted()) { snapshot.accounts[account.id] = account }
        snapshot.failures = try transaction.failures(ids: transferIDs.sorted())

        var processor = BatchProcessor(snapshot: snapshot, now: now, lastTimestamp: lastTimestamp)
        for transfer in due { processor.expire(pendingID: transfer.id) }
        let outcomes: [Outcome] = operations.map { operation in
            switch operation {
            case let .createAccounts(accounts): return .accounts(processor.createAccounts(accounts))
            case let .closeAccounts(ids): return .closes(processor.closeAccounts(ids))
            case let .createTransfers(transfers): return .transfers(processor.createTransfers(transfers))
            }
        }
        try transaction.insert(accounts: processor.newAccounts())
        try transaction.insert(transfers: processor.newTransfers())
        try transaction.updatePendingStates(processor.resolvedPendings())
        try transaction.update(accounts: processor.updatedAccounts())
        try transaction.insert(failures: processor.changes.newFailures)
        lastTimestamp = processor.nextTimestamp - 1
        return outcomes
    }
}

/// Counters of the writer, for `/metrics` and benchmarks.
public struct LedgerWriterMetrics: Sendable {
    public var committedBatches = 0
    public var committedEvents = 0
    public var overloadedSubmissions = 0
    /// Batches by how many submissions they carried: ≤1, ≤2, ≤4, … ≤1024, more.
    public var batchSizeHistogram = [Int](repeating: 0, count: 12)

    mutating func recordBatchSize(_ size: Int) {
        var bucket = 0
        while bucket < 11 && size > 1 << bucket { bucket += 1 }
        batchSizeHistogram[bucket] += 1
    }
}
