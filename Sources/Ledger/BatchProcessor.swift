import TollgateCore

/// Applies one write batch of ledger operations to an in-memory copy of the
/// rows they touch, and collects the changes to write back. It knows nothing of
/// databases: the writer loads the rows, runs this, and saves `changes` in the
/// same database transaction. Rules follow TigerBeetle's account/transfer model.
struct BatchProcessor {
    private(set) var accounts: [LedgerID: Account]
    private(set) var transfers: [LedgerID: StoredTransfer]
    private(set) var failures: [LedgerID: TransferResult]
    private(set) var changes = BatchChanges()
    /// The next timestamp to hand out (nanoseconds since 1970), strictly increasing.
    private(set) var nextTimestamp: Int64
    private let now: Int64
    private var undoLog: [UndoEntry] = []
    private var isRecordingUndo = false

    init(snapshot: BatchSnapshot, now: Int64, lastTimestamp: Int64) {
        accounts = snapshot.accounts
        transfers = snapshot.transfers
        failures = snapshot.failures
        self.now = now
        nextTimestamp = max(now, lastTimestamp + 1)
    }

    private mutating func takeTimestamp() -> Int64 {
        defer { nextTimestamp += 1 }
        return nextTimestamp
    }

    // MARK: accounts

    mutating func createAccounts(_ requests: [Account]) -> [CreateAccountResult] {
        requests.map { createAccount($0) }
    }

    private mutating func createAccount(_ request: Account) -> CreateAccountResult {
        if request.id == 0 { return .idMustNotBeZero }
        if request.id == .max { return .idMustNotBeIntMax }
        if !AccountFlags.known.isSuperset(of: request.flags) { return .flagsAreUnknown }
        if request.flags.isSuperset(of: [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]) {
            return .flagsAreMutuallyExclusive
        }
        if let existing = accounts[request.id] {
            if existing.currency != request.currency { return .existsWithDifferentCurrency }
            if existing.code != request.code { return .existsWithDifferentCode }
            // `closed` is state, not identity: re-creating a since-closed account is still `exists`.
            if existing.flags.subtracting(.closed) != request.flags.subtracting(.closed) { return .existsWithDifferentFlags }
            if existing.userData != request.userData { return .existsWithDifferentUserData }
            return .exists
        }
        var account = request
        account.debitsPending = 0
        account.debitsPosted = 0
        account.creditsPending = 0
        account.creditsPosted = 0
        account.timestamp = takeTimestamp()
        accounts[account.id] = account
        changes.newAccountIDs.append(account.id)
        return .created
    }

    mutating func closeAccounts(_ ids: [LedgerID]) -> [CloseAccountResult] {
        ids.map { id in
            guard var account = accounts[id] else { return .accountNotFound }
            if account.flags.contains(.closed) { return .alreadyClosed }
            account.flags.insert(.closed)
            accounts[id] = account
            changes.dirtyAccountIDs.insert(id)
            return .closed
        }
    }

    // MARK: expiry

    /// Releases a pending transfer whose timeout has passed, as if voided at its expiry time.
    mutating func expire(pendingID: LedgerID) {
        guard var pending = transfers[pendingID], pending.pendingState == .pending,
              let expiresAt = pending.expiresAt, expiresAt <= now else { return }
        guard var debit = accounts[pending.debitAccountID], var credit = accounts[pending.creditAccountID] else {
            preconditionFailure("a pending transfer's accounts are loaded with it")
        }
        recordUndo(pending: pending, debit: debit, credit: credit)
        debit.debitsPending -= pending.amount
        credit.creditsPending -= pending.amount
        pending.pendingState = .expired
        pending.resolvedAt = expiresAt
        store(debit: debit, credit: credit)
        transfers[pendingID] = pending
        changes.resolvedPendingIDs.insert(pendingID)
    }

    // MARK: transfers

    /// Applies one submission's transfers in order. A chain of linked transfers
    /// commits as a whole or not at all.
    mutating func createTransfers(_ requests: [Transfer]) -> [TransferResult] {
        var results = [TransferResult](repeating: .created, count: requests.count)
        var start = 0
        while start < requests.count {
            var end = start
            while end < requests.count - 1 && requests[end].isLinked { end += 1 }
            if requests[end].isLinked {
                for index in start...end { results[index] = .linkedEventChainOpen }
            } else if start == end {
                let result = createTransfer(requests[start])
                results[start] = result
                recordFailureIfNeeded(requests[start].id, result)
            } else {
                applyChain(requests, start...end, into: &results)
            }
            start = end + 1
        }
        return results
    }

    private mutating func applyChain(_ requests: [Transfer], _ chain: ClosedRange<Int>, into results: inout [TransferResult]) {
        isRecordingUndo = true
        undoLog.removeAll(keepingCapacity: true)
        let newTransferCount = changes.newTransferIDs.count
        var failedIndex: Int?
        for index in chain {
            let result = createTransfer(requests[index])
            results[index] = result
            if !result.isSuccess {
                failedIndex = index
                break
            }
        }
        isRecordingUndo = false
        guard let failedIndex else { return }
        for entry in undoLog.reversed() {
            switch entry {
            case let .account(account): accounts[account.id] = account
            case let .transfer(id, previous): transfers[id] = previous
            }
        }
        changes.newTransferIDs.removeSubrange(newTransferCount...)
        for index in chain where index != failedIndex {
            results[index] = .linkedEventFailed
        }
        for index in chain {
            recordFailureIfNeeded(requests[index].id, results[index])
        }
    }

    private mutating func recordFailureIfNeeded(_ id: LedgerID, _ result: TransferResult) {
        guard result.isRecordedFailure, id != 0, id != .max, transfers[id] == nil, failures[id] == nil else { return }
        failures[id] = result
        changes.newFailures.append(RecordedFailure(id: id, result: result, timestamp: takeTimestamp()))
    }

    private mutating func createTransfer(_ request: Transfer) -> TransferResult {
        if request.id == 0 { return .idMustNotBeZero }
        if request.id == .max { return .idMustNotBeIntMax }
        if let existing = transfers[request.id] { return Self.compare(request, existing) }
        if failures[request.id] != nil { return .idAlreadyFailed }
        if let invalid = Self.validate(request) { return invalid }
        switch request.kind {
        case .single, .pending: return createMovement(request)
        case .postPending, .voidPending: return resolvePending(request)
        }
    }

    /// Checks that need nothing but the transfer itself.
    static func validate(_ request: Transfer) -> TransferResult? {
        if request.amount < 0 { return .amountMustNotBeNegative }
        switch request.kind {
        case .single, .pending:
            if request.pendingID != 0 { return .pendingIDMustBeZero }
            if request.debitAccountID == 0 { return .debitAccountIDMustNotBeZero }
            if request.creditAccountID == 0 { return .creditAccountIDMustNotBeZero }
            if request.debitAccountID == request.creditAccountID { return .accountsMustBeDifferent }
            if request.amount == 0 { return .amountMustNotBeZero }
            if request.currency == nil { return .currencyMustBeSet }
            if request.kind == .single && request.timeoutSeconds != 0 { return .timeoutReservedForPendingTransfer }
        case .postPending, .voidPending:
            if request.pendingID == 0 { return .pendingIDMustNotBeZero }
            if request.pendingID == .max { return .pendingTransferNotFound }
            if request.pendingID == request.id { return .pendingIDMustBeDifferent }
            if request.timeoutSeconds != 0 { return .timeoutReservedForPendingTransfer }
            if request.kind == .postPending && request.amount == 0 { return .amountMustNotBeZero }
            if request.debitAccountID != 0 && request.debitAccountID == request.creditAccountID { return .accountsMustBeDifferent }
        }
        return nil
    }

    /// A retry of a committed transfer: `exists` when every field the caller gave matches.
    static func compare(_ request: Transfer, _ existing: StoredTransfer) -> TransferResult {
        if request.kind != existing.kind { return .existsWithDifferentKind }
        let resolvesPending = request.kind == .postPending || request.kind == .voidPending
        if request.debitAccountID != existing.debitAccountID && !(resolvesPending && request.debitAccountID == 0) {
            return .existsWithDifferentDebitAccountID
        }
        if request.creditAccountID != existing.creditAccountID && !(resolvesPending && request.creditAccountID == 0) {
            return .existsWithDifferentCreditAccountID
        }
        let voidWithoutAmount = request.kind == .voidPending && request.amount == 0
        if request.amount != existing.amount && !voidWithoutAmount { return .existsWithDifferentAmount }
        if let currency = request.currency, currency != existing.currency { return .existsWithDifferentCurrency }
        if request.currency == nil && !resolvesPending { return .existsWithDifferentCurrency }
        if request.pendingID != existing.pendingID { return .existsWithDifferentPendingID }
        if request.timeoutSeconds != existing.timeoutSeconds { return .existsWithDifferentTimeout }
        if request.code != existing.code { return .existsWithDifferentCode }
        if request.userData != existing.userData { return .existsWithDifferentUserData }
        return .exists
    }

    private mutating func createMovement(_ request: Transfer) -> TransferResult {
        guard var debit = accounts[request.debitAccountID] else { return .debitAccountNotFound }
        guard var credit = accounts[request.creditAccountID] else { return .creditAccountNotFound }
        guard let currency = request.currency else { return .currencyMustBeSet }
        if debit.currency != currency || credit.currency != currency { return .currencyMismatch }
        if debit.flags.contains(.closed) || credit.flags.contains(.closed) { return .accountClosed }
        let amount = request.amount
        let isPending = request.kind == .pending
        if isPending {
            guard let sum = debit.debitsPending.adding(amount) else { return .overflowsDebitsPending }
            guard credit.creditsPending.adding(amount) != nil else { return .overflowsCreditsPending }
            debit.debitsPending = sum
            credit.creditsPending += amount
        } else {
            guard let sum = debit.debitsPosted.adding(amount) else { return .overflowsDebitsPosted }
            guard credit.creditsPosted.adding(amount) != nil else { return .overflowsCreditsPosted }
            debit.debitsPosted = sum
            credit.creditsPosted += amount
        }
        guard let debits = debit.debitsPending.adding(debit.debitsPosted) else { return .overflowsDebits }
        guard let credits = credit.creditsPending.adding(credit.creditsPosted) else { return .overflowsCredits }
        if debit.flags.contains(.debitsMustNotExceedCredits) && debits > debit.creditsPosted { return .exceedsCredits }
        if credit.flags.contains(.creditsMustNotExceedDebits) && credits > credit.debitsPosted { return .exceedsDebits }
        var expiresAt: Int64?
        let timestamp = nextTimestamp
        if isPending && request.timeoutSeconds > 0 {
            guard let expiry = Int64(request.timeoutSeconds).multiplied(1_000_000_000).flatMap({ timestamp.adding($0) }) else {
                return .overflowsTimeout
            }
            expiresAt = expiry
        }
        recordUndo(debit: accounts[debit.id]!, credit: accounts[credit.id]!)
        store(debit: debit, credit: credit)
        insert(StoredTransfer(
            id: request.id, debitAccountID: debit.id, creditAccountID: credit.id, amount: amount, currency: currency,
            kind: request.kind, pendingID: 0, timeoutSeconds: request.timeoutSeconds, code: request.code,
            userData: request.userData, timestamp: takeTimestamp(), pendingState: isPending ? .pending : .none,
            expiresAt: expiresAt, resolvedAt: nil))
        return .created
    }

    private mutating func resolvePending(_ request: Transfer) -> TransferResult {
        guard var pending = transfers[request.pendingID] else { return .pendingTransferNotFound }
        guard pending.kind == .pending else { return .pendingTransferNotPending }
        if request.debitAccountID != 0 && request.debitAccountID != pending.debitAccountID {
            return .pendingTransferHasDifferentDebitAccountID
        }
        if request.creditAccountID != 0 && request.creditAccountID != pending.creditAccountID {
            return .pendingTransferHasDifferentCreditAccountID
        }
        if let currency = request.currency, currency != pending.currency { return .pendingTransferHasDifferentCurrency }
        switch pending.pendingState {
        case .posted: return .pendingTransferAlreadyPosted
        case .voided: return .pendingTransferAlreadyVoided
        case .expired: return .pendingTransferExpired
        case .none: return .pendingTransferNotPending
        case .pending:
            if let expiresAt = pending.expiresAt, expiresAt <= now {
                expire(pendingID: pending.id)
                return .pendingTransferExpired
            }
        }
        let isPost = request.kind == .postPending
        if isPost && request.amount > pending.amount { return .exceedsPendingTransferAmount }
        if !isPost && request.amount != 0 && request.amount != pending.amount { return .pendingTransferHasDifferentAmount }
        guard var debit = accounts[pending.debitAccountID], var credit = accounts[pending.creditAccountID] else {
            preconditionFailure("a pending transfer's accounts are loaded with it")
        }
        let amount = isPost ? request.amount : pending.amount
        recordUndo(pending: pending, debit: debit, credit: credit)
        debit.debitsPending -= pending.amount
        credit.creditsPending -= pending.amount
        if isPost {
            guard let sum = debit.debitsPosted.adding(amount) else { return .overflowsDebitsPosted }
            guard credit.creditsPosted.adding(amount) != nil else { return .overflowsCreditsPosted }
            debit.debitsPosted = sum
            credit.creditsPosted += amount
        }
        let timestamp = takeTimestamp()
        pending.pendingState = isPost ? .posted : .voided
        pending.resolvedAt = timestamp
        store(debit: debit, credit: credit)
        transfers[pending.id] = pending
        changes.resolvedPendingIDs.insert(pending.id)
        insert(StoredTransfer(
            id: request.id, debitAccountID: pending.debitAccountID, creditAccountID: pending.creditAccountID,
            amount: amount, currency: pending.currency, kind: request.kind, pendingID: pending.id,
            timeoutSeconds: 0, code: request.code, userData: request.userData, timestamp: timestamp,
            pendingState: .none, expiresAt: nil, resolvedAt: nil))
        return .created
    }

    // MARK: bookkeeping

    private mutating func store(debit: Account, credit: Account) {
        accounts[debit.id] = debit
        accounts[credit.id] = credit
        changes.dirtyAccountIDs.insert(debit.id)
        changes.dirtyAccountIDs.insert(credit.id)
    }

    private mutating func insert(_ transfer: StoredTransfer) {
        if isRecordingUndo { undoLog.append(.transfer(transfer.id, nil)) }
        transfers[transfer.id] = transfer
        changes.newTransferIDs.append(transfer.id)
    }

    private mutating func recordUndo(pending: StoredTransfer? = nil, debit: Account, credit: Account) {
        guard isRecordingUndo else { return }
        undoLog.append(.account(debit))
        undoLog.append(.account(credit))
        if let pending { undoLog.append(.transfer(pending.id, pending)) }
    }

    /// The rows to write back, in the order they were created.
    func newTransfers() -> [StoredTransfer] { changes.newTransferIDs.map { transfers[$0]! } }
    func newAccounts() -> [Account] { changes.newAccountIDs.map { accounts[$0]! } }
    func updatedAccounts() -> [Account] {
        let created = Set(changes.newAccountIDs)
        return changes.dirtyAccountIDs.filter { !created.contains($0) }.sorted().map { accounts[$0]! }
    }
    func resolvedPendings() -> [StoredTransfer] {
        let created = Set(changes.newTransferIDs)
        return changes.resolvedPendingIDs.filter { !created.contains($0) }.sorted().map { transfers[$0]! }
    }
}

private enum UndoEntry {
    case account(Account)
    case transfer(LedgerID, StoredTransfer?)
}

/// The rows one batch reads before it applies its operations.
struct BatchSnapshot {
    var accounts: [LedgerID: Account] = [:]
    var transfers: [LedgerID: StoredTransfer] = [:]
    var failures: [LedgerID: TransferResult] = [:]
}

/// What a batch changed, by id; `BatchProcessor` turns these into rows to write.
struct BatchChanges {
    var newAccountIDs: [LedgerID] = []
    var newTransferIDs: [LedgerID] = []
    var dirtyAccountIDs: Set<LedgerID> = []
    var resolvedPendingIDs: Set<LedgerID> = []
    var newFailures: [RecordedFailure] = []
}

/// A rejection stored with its transfer id, so a retry answers `id_already_failed`.
struct RecordedFailure: Equatable, Sendable {
    var id: LedgerID
    var result: TransferResult
    var timestamp: Int64
}

extension Int64 {
    /// The sum, or nil when it would overflow.
    func adding(_ other: Int64) -> Int64? {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }

    func multiplied(_ other: Int64) -> Int64? {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : product
    }
}
