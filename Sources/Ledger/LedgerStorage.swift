import Store

/// Where the ledger keeps its rows. Two implementations (SQLite, PostgreSQL)
/// pass one test suite. The write side is used by the group-commit writer only;
/// the read side may be called from any thread.
protocol LedgerStorage: AnyObject, Sendable {
    /// Runs one batch in one database transaction: commits when `body` returns,
    /// rolls back when it throws. Retryable conflicts surface as `LedgerStorageError.retryable`.
    func writeBatch<Result>(_ body: (any LedgerWriteTransaction) throws -> Result) throws -> Result

    /// The largest timestamp written so far (so timestamps keep increasing across restarts).
    func lastTimestamp() throws -> Int64

    func account(id: LedgerID) throws -> Account?
    func transfer(id: LedgerID) throws -> StoredTransfer?
    /// Transfers that debit or credit `accountID`, ordered by (timestamp, id), after the cursor.
    func transfers(of accountID: LedgerID, query: TransferQuery) throws -> [StoredTransfer]
    func recordedFailure(id: LedgerID) throws -> TransferResult?
    /// Everything `LedgerVerifier` needs, read in one consistent snapshot.
    func verificationSnapshot() throws -> VerificationSnapshot
    /// All transfers touching one account, for balances as of a past time.
    func allTransfers(of accountID: LedgerID, upTo timestamp: Int64) throws -> [StoredTransfer]
}

/// The database a batch is written in, for rows the caller commits together
/// with its transfers (`Ledger.createTransfers(_:attach:)`).
public enum LedgerDatabase {
    case sqlite(SQLiteConnection)
    case postgres(PostgresConnection)
}

/// Rows written in the same database transaction as a submission's transfers,
/// given the submission's results (so they can record what happened). Throwing
/// rolls back this submission only: the batch is retried without it.
public typealias LedgerAttachment = @Sendable (LedgerDatabase, [TransferResult]) throws -> Void

/// The reads and writes of one write batch, inside its database transaction.
protocol LedgerWriteTransaction {
    /// The connection the batch runs on (attachments write through it).
    var database: LedgerDatabase { get }
    /// Transfers by id, locked where the database is shared, so a concurrent
    /// process cannot resolve the same pending transfer.
    func transfers(ids: [LedgerID]) throws -> [StoredTransfer]
    func failures(ids: [LedgerID]) throws -> [LedgerID: TransferResult]
    /// Accounts by id, locked for the rest of the transaction where the database shares them.
    func accounts(ids: [LedgerID]) throws -> [Account]
    /// Pending transfers whose timeout passed by `now`, at most `limit`.
    func duePendingTransfers(now: Int64, limit: Int) throws -> [StoredTransfer]

    func insert(accounts: [Account]) throws
    func update(accounts: [Account]) throws
    func insert(transfers: [StoredTransfer]) throws
    func updatePendingStates(_ transfers: [StoredTransfer]) throws
    func insert(failures: [RecordedFailure]) throws
}

/// A page of an account's transfers.
public struct TransferQuery: Sendable {
    /// Nanoseconds since 1970, inclusive bounds.
    public var fromTimestamp: Int64
    public var toTimestamp: Int64
    /// Continue after this transfer (the last one of the previous page).
    public var after: TransferCursor?
    public var limit: Int

    public static let limitMax = 1_000

    public init(fromTimestamp: Int64 = 0, toTimestamp: Int64 = .max, after: TransferCursor? = nil, limit: Int = 100) {
        self.fromTimestamp = fromTimestamp
        self.toTimestamp = toTimestamp
        self.after = after
        self.limit = max(1, min(limit, Self.limitMax))
    }
}

/// Where a page ended: transfers are ordered by (timestamp, id).
public struct TransferCursor: Equatable, Sendable {
    public var timestamp: Int64
    public var id: LedgerID

    public init(timestamp: Int64, id: LedgerID) {
        self.timestamp = timestamp
        self.id = id
    }

    public init(after transfer: StoredTransfer) {
        self.init(timestamp: transfer.timestamp, id: transfer.id)
    }
}

/// A database failure (not a rejected transfer). Nothing of the batch was committed.
public enum LedgerStorageError: Error, CustomStringConvertible, Equatable {
    /// A conflict with another process; the writer retries the batch.
    case retryable(String)
    case failed(String)
    /// A row that cannot be decoded (corruption or a foreign writer).
    case corruptRow(String)

    public var description: String {
        switch self {
        case let .retryable(message): return "ledger storage conflict: \(message)"
        case let .failed(message): return "ledger storage failed: \(message)"
        case let .corruptRow(message): return "ledger storage has a malformed row: \(message)"
        }
    }
}

/// Per-account sums recomputed from the transfer rows, for verification.
struct TransferSums: Equatable {
    var debitsPending: Int64 = 0
    var debitsPosted: Int64 = 0
    var creditsPending: Int64 = 0
    var creditsPosted: Int64 = 0
}

extension [LedgerID: TransferSums] {
    /// Adds one (debit, credit, amount) group of the verification queries.
    mutating func add(debit: LedgerID, credit: LedgerID, amount: Int64, isPending: Bool) {
        if isPending {
            self[debit, default: TransferSums()].debitsPending += amount
            self[credit, default: TransferSums()].creditsPending += amount
        } else {
            self[debit, default: TransferSums()].debitsPosted += amount
            self[credit, default: TransferSums()].creditsPosted += amount
        }
    }
}

struct VerificationSnapshot {
    var accounts: [Account]
    /// Recomputed from transfers: pending holds still pending, posted singles and posts.
    var sumsByAccount: [LedgerID: TransferSums]
    /// Pending ids resolved by more than one post/void (must be empty).
    var doublyResolvedPendingIDs: [LedgerID]
    /// Posts and voids whose pending transfer is not in state posted/voided accordingly.
    var inconsistentResolutions: [LedgerID]
    /// Transfers whose currency is not that of both their accounts (must be empty).
    var currencyMismatchedTransfers: [LedgerID]
    var transferCount: Int
}
