import TollgateCore

/// The authorization and transfer core: double-entry accounts and transfers,
/// durable before any result is returned. Writes go through one group-commit
/// writer; reads go straight to the store. Safe to call from many threads.
public final class Ledger: Sendable {
    private let storage: any LedgerStorage
    private let writer: GroupCommitWriter
    public let options: LedgerOptions

    init(storage: any LedgerStorage, options: LedgerOptions) throws {
        self.storage = storage
        self.options = options
        writer = try GroupCommitWriter(storage: storage, options: options)
    }

    /// The embedded store: one SQLite file (created, and migrated, when needed).
    public static func openSQLite(path: String, options: LedgerOptions = LedgerOptions()) throws -> Ledger {
        try Ledger(storage: SQLiteLedgerStorage(path: path), options: options)
    }

    /// A PostgreSQL database several processes may share (`postgres://…`).
    public static func openPostgres(url: String, options: LedgerOptions = LedgerOptions()) throws -> Ledger {
        try Ledger(storage: PostgresLedgerStorage(url: url), options: options)
    }

    /// Stops the writer after what is queued; later submissions throw `stopped`.
    public func close() {
        writer.stop()
    }

    deinit {
        writer.stop()
    }

    // MARK: writes

    public func createAccounts(_ accounts: [Account]) throws(LedgerError) -> [CreateAccountResult] {
        guard case let .accounts(results) = try writer.submit(.createAccounts(accounts)) else { preconditionFailure() }
        return results
    }

    public func closeAccounts(_ ids: [LedgerID]) throws(LedgerError) -> [CloseAccountResult] {
        guard case let .closes(results) = try writer.submit(.closeAccounts(ids)) else { preconditionFailure() }
        return results
    }

    /// Applies the transfers in order (linked chains all-or-nothing) and returns one result each.
    public func createTransfers(_ transfers: [Transfer]) throws(LedgerError) -> [TransferResult] {
        guard case let .transfers(results) = try writer.submit(.createTransfers(transfers)) else { preconditionFailure() }
        return results
    }

    /// The same, with `attach` writing the caller's rows (a charge, its event, its
    /// idempotency record) in the same database transaction: all of it commits, or none.
    /// `transfers` may be empty (rows alone, serialized with the ledger's writes).
    public func createTransfers(_ transfers: [Transfer], attach: @escaping LedgerAttachment) throws(LedgerError) -> [TransferResult] {
        guard case let .transfers(results) = try writer.submit(.createTransfers(transfers), attachment: attach) else { preconditionFailure() }
        return results
    }

    public var writerMetrics: LedgerWriterMetrics { writer.currentMetrics }

    // MARK: reads

    public func account(id: LedgerID) throws -> Account? { try storage.account(id: id) }

    public func transfer(id: LedgerID) throws -> StoredTransfer? { try storage.transfer(id: id) }

    /// The result a failed transfer id is pinned to, if it failed.
    public func recordedFailure(id: LedgerID) throws -> TransferResult? { try storage.recordedFailure(id: id) }

    /// One page of an account's transfers, oldest first; pass the last one as `after` for the next page.
    public func transfers(of accountID: LedgerID, query: TransferQuery = TransferQuery()) throws -> [StoredTransfer] {
        try storage.transfers(of: accountID, query: query)
    }

    /// Balances now (`asOf` nil) or as they stood at a past moment (nanoseconds since
    /// 1970), recomputed from the transfers: holds count as pending until posted,
    /// voided or expired.
    public func balance(of accountID: LedgerID, asOf timestamp: Int64? = nil) throws -> AccountBalance? {
        guard let account = try storage.account(id: accountID) else { return nil }
        guard let timestamp else {
            return AccountBalance(
                accountID: accountID, currency: account.currency, debitsPending: account.debitsPending,
                debitsPosted: account.debitsPosted, creditsPending: account.creditsPending,
                creditsPosted: account.creditsPosted, asOfTimestamp: options.clock())
        }
        var balance = AccountBalance(
            accountID: accountID, currency: account.currency, debitsPending: 0, debitsPosted: 0,
            creditsPending: 0, creditsPosted: 0, asOfTimestamp: timestamp)
        for transfer in try storage.allTransfers(of: accountID, upTo: timestamp) {
            let isDebit = transfer.debitAccountID == accountID
            switch transfer.kind {
            case .single, .postPending:
                if isDebit { balance.debitsPosted += transfer.amount } else { balance.creditsPosted += transfer.amount }
            case .pending:
                let resolvedBy = [transfer.resolvedAt, transfer.expiresAt].compactMap { $0 }.min()
                guard resolvedBy.map({ $0 > timestamp }) ?? true else { continue }
                if isDebit { balance.debitsPending += transfer.amount } else { balance.creditsPending += transfer.amount }
            case .voidPending:
                continue
            }
        }
        return balance
    }

    /// Checks every invariant (README "Ledger"); an empty list of violations means all hold.
    public func verify() throws -> LedgerVerification {
        LedgerVerifier.verify(try storage.verificationSnapshot())
    }
}
