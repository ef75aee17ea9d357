import TollgateCore

/// How a transfer moves money.
public enum TransferKind: UInt8, Sendable, CaseIterable {
    /// Posted at once.
    case single = 0
    /// An authorization hold: moves pending balances until posted, voided or expired.
    case pending = 1
    /// Capture of a pending transfer (all or part of it; the rest is released).
    case postPending = 2
    /// Cancel of a pending transfer: releases all of it.
    case voidPending = 3
}

/// A transfer as the caller submits it. `id` is the idempotency key: submitting
/// the same transfer again returns `exists` and moves nothing.
///
/// For `postPending` and `voidPending`, the accounts and currency may be left
/// 0/nil (taken from the pending transfer); when given they must match it.
/// `amount` of a post is what to capture (≤ the pending amount); of a void,
/// 0 or the pending amount.
public struct Transfer: Equatable, Sendable {
    public var id: LedgerID
    public var debitAccountID: LedgerID
    public var creditAccountID: LedgerID
    public var amount: Int64
    public var currency: Currency?
    public var kind: TransferKind
    public var pendingID: LedgerID
    /// Pending transfers only: after this many seconds the hold expires as if voided (0 = never).
    public var timeoutSeconds: UInt32
    public var code: UInt16
    public var userData: UInt64
    /// Linked to the next transfer of the same submission: all of a chain commit, or none.
    public var isLinked: Bool

    public init(
        id: LedgerID, debitAccountID: LedgerID = 0, creditAccountID: LedgerID = 0, amount: Int64,
        currency: Currency? = nil, kind: TransferKind = .single, pendingID: LedgerID = 0,
        timeoutSeconds: UInt32 = 0, code: UInt16 = 0, userData: UInt64 = 0, isLinked: Bool = false
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amount = amount
        self.currency = currency
        self.kind = kind
        self.pendingID = pendingID
        self.timeoutSeconds = timeoutSeconds
        self.code = code
        self.userData = userData
        self.isLinked = isLinked
    }
}

/// What became of a pending transfer.
public enum PendingState: UInt8, Sendable {
    /// Not a pending transfer.
    case none = 0
    case pending = 1
    case posted = 2
    case voided = 3
    case expired = 4
}

/// A committed transfer as the ledger stores it: the caller's fields made
/// complete (accounts and currency of posts/voids filled in from the pending
/// transfer), plus the ledger's timestamp and, for pending transfers, their state.
public struct StoredTransfer: Equatable, Sendable {
    public var id: LedgerID
    public var debitAccountID: LedgerID
    public var creditAccountID: LedgerID
    public var amount: Int64
    public var currency: Currency
    public var kind: TransferKind
    public var pendingID: LedgerID
    public var timeoutSeconds: UInt32
    public var code: UInt16
    public var userData: UInt64
    /// Nanoseconds since 1970, assigned by the ledger, strictly increasing within a process.
    public var timestamp: Int64
    public var pendingState: PendingState
    /// Pending transfers with a timeout: when the hold lapses (nanoseconds since 1970).
    public var expiresAt: Int64?
    /// When a pending transfer was posted, voided or expired.
    public var resolvedAt: Int64?

    public init(
        id: LedgerID, debitAccountID: LedgerID, creditAccountID: LedgerID, amount: Int64, currency: Currency,
        kind: TransferKind, pendingID: LedgerID, timeoutSeconds: UInt32, code: UInt16, userData: UInt64,
        timestamp: Int64, pendingState: PendingState, expiresAt: Int64?, resolvedAt: Int64?
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amount = amount
        self.currency = currency
        self.kind = kind
        self.pendingID = pendingID
        self.timeoutSeconds = timeoutSeconds
        self.code = code
        self.userData = userData
        self.timestamp = timestamp
        self.pendingState = pendingState
        self.expiresAt = expiresAt
        self.resolvedAt = resolvedAt
    }
}
