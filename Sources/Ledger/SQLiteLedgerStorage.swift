import Foundation
import Store
import TollgateCore

/// The embedded ledger store: one SQLite file in WAL mode with `synchronous=FULL`.
/// One connection writes (used only by the group-commit writer, one batch at a
/// time); another serves reads, which WAL lets run beside the writer.
final class SQLiteLedgerStorage: LedgerStorage, @unchecked Sendable {
    private let writeLock = NSLock()
    private let writer: SQLiteConnection
    private let writeStatements: SQLiteLedgerStatements
    private let readLock = NSLock()
    private let reader: SQLiteConnection

    static let writerCacheKibibytes = 65_536
    static let walCheckpointPages = 16_384

    init(path: String) throws {
        writer = try SQLiteConnection(path: path)
        // A batch touches an index page per account it moves: a large cache keeps them in
        // memory, and a larger WAL before checkpointing spreads the copy-back over many
        // commits. Durability is unchanged (WAL, synchronous=FULL, fsync per commit).
        try writer.execute("PRAGMA cache_size=-\(Self.writerCacheKibibytes); PRAGMA wal_autocheckpoint=\(Self.walCheckpointPages)")
        try writer.migrate(component: LedgerSchema.component, LedgerSchema.sqlite)
        writeStatements = try SQLiteLedgerStatements(writer)
        reader = try SQLiteConnection(path: path)
    }

    func writeBatch<Result>(_ body: (any LedgerWriteTransaction) throws -> Result) throws -> Result {
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            return try writer.transaction { try body(SQLiteLedgerWriteTransaction(statements: writeStatements, connection: writer)) }
        } catch let error as SQLiteError {
            throw error.isBusy ? LedgerStorageError.retryable(error.description) : LedgerStorageError.failed(error.description)
        }
    }

    private func read<Result>(_ body: (SQLiteConnection) throws -> Result) throws -> Result {
        readLock.lock()
        defer { readLock.unlock() }
        do {
            // One read transaction: a consistent snapshot even while the writer commits.
            try reader.execute("BEGIN")
            defer { try? reader.execute("COMMIT") }
            return try body(reader)
        } catch let error as SQLiteError {
            throw LedgerStorageError.failed(error.description)
        }
    }

    func lastTimestamp() throws -> Int64 {
        try read { connection in
            let statement = try connection.prepare("""
                SELECT max(coalesce((SELECT max(timestamp) FROM ledger_transfers), 0),
                           coalesce((SELECT max(timestamp) FROM ledger_accounts), 0),
                           coalesce((SELECT max(timestamp) FROM ledger_transfer_failures), 0))
                """)
            try statement.step()
            return statement.int64(0)
        }
    }

    func account(id: LedgerID) throws -> Account? {
        try read { connection in
            let statement = try connection.prepare("SELECT \(LedgerSchema.accountColumns) FROM ledger_accounts WHERE id = ?")
            try statement.bind(1, blob: id.bigEndianBytes)
            return try statement.step() ? try SQLiteRows.account(statement) : nil
        }
    }

    func transfer(id: LedgerID) throws -> StoredTransfer? {
        try read { connection in
            let statement = try connection.prepare("SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers WHERE id = ?")
            try statement.bind(1, blob: id.bigEndianBytes)
            return try statement.step() ? try SQLiteRows.transfer(statement) : nil
        }
    }

    func recordedFailure(id: LedgerID) throws -> TransferResult? {
        try read { connection in
            let statement = try connection.prepare("SELECT result FROM ledger_transfer_failures WHERE id = ?")
            try statement.bind(1, blob: id.bigEndianBytes)
            guard try statement.step() else { return nil }
            return statement.text(0).flatMap(TransferResult.init(rawValue:))
        }
    }

    func transfers(of accountID: LedgerID, query: TransferQuery) throws -> [StoredTransfer] {
        try read { connection in
            // Two index range scans (debit side, credit side) merged by (timestamp, id).
            let statement = try connection.prepare("""
                SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers
                WHERE (debit_account_id = ?1 OR credit_account_id = ?1)
                  AND timestamp BETWEEN ?2 AND ?3 AND (timestamp > ?4 OR (timestamp = ?4 AND id > ?5))
                ORDER BY timestamp, id LIMIT ?6
                """)
            try statement.bind(1, blob: accountID.bigEndianBytes)
            try statement.bind(2, query.fromTimestamp)
            try statement.bind(3, query.toTimestamp)
            try statement.bind(4, query.after?.timestamp ?? Int64.min)
            try statement.bind(5, blob: (query.after?.id ?? 0).bigEndianBytes)
            try statement.bind(6, Int64(query.limit))
            var rows: [StoredTransfer] = []
            while try statement.step() { rows.append(try SQLiteRows.transfer(statement)) }
            return rows
        }
    }

    func allTransfers(of accountID: LedgerID, upTo timestamp: Int64) throws -> [StoredTransfer] {
        try read { connection in
            let statement = try connection.prepare("""
                SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers
                WHERE (debit_account_id = ?1 OR credit_account_id = ?1) AND timestamp <= ?2
                """)
            try statement.bind(1, blob: accountID.bigEndianBytes)
            try statement.bind(2, timestamp)
            var rows: [StoredTransfer] = []
            while try statement.step() { rows.append(try SQLiteRows.transfer(statement)) }
            return rows
        }
    }

    func verificationSnapshot() throws -> VerificationSnapshot {
        try read { connection in
            var accounts: [Account] = []
            let accountRows = try connection.prepare("SELECT \(LedgerSchema.accountColumns) FROM ledger_accounts ORDER BY id")
            while try accountRows.step() { accounts.append(try SQLiteRows.account(accountRows)) }
            var sums: [LedgerID: TransferSums] = [:]
            for (sql, isPending) in [(LedgerSchema.pendingSumsSQL, true), (LedgerSchema.postedSumsSQL, false)] {
                let rows = try connection.prepare(sql)
                while try rows.step() {
                    sums.add(debit: LedgerID(bigEndianBytes: rows.blob(0)), credit: LedgerID(bigEndianBytes: rows.blob(1)),
                             amount: rows.int64(2), isPending: isPending)
                }
            }
            func ids(_ sql: String) throws -> [LedgerID] {
                let rows = try connection.prepare(sql)
                var ids: [LedgerID] = []
                while try rows.step() { ids.append(LedgerID(bigEndianBytes: rows.blob(0))) }
                return ids
            }
            let count = try connection.prepare("SELECT count(*) FROM ledger_transfers")
            try count.step()
            return VerificationSnapshot(
                accounts: accounts, sumsByAccount: sums,
                doublyResolvedPendingIDs: try ids(LedgerSchema.doublyResolvedSQL),
                inconsistentResolutions: try ids(LedgerSchema.inconsistentResolutionsSQL),
                currencyMismatchedTransfers: try ids(LedgerSchema.currencyMismatchSQL),
                transferCount: Int(count.int64(0)))
        }
    }
}

/// The writer's statements, prepared once.
private final class SQLiteLedgerStatements {
    let selectTransfer: SQLiteStatement
    let selectFailure: SQLiteStatement
    let selectAccount: SQLiteStatement
    let selectDue: SQLiteStatement
    let insertAccount: SQLiteStatement
    let updateAccount: SQLiteStatement
    let insertTransfer: SQLiteStatement
    let updatePending: SQLiteStatement
    let insertFailure: SQLiteStatement

    init(_ connection: SQLiteConnection) throws {
        selectTransfer = try connection.prepare("SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers WHERE id = ?")
        selectFailure = try connection.prepare("SELECT result FROM ledger_transfer_failures WHERE id = ?")
        selectAccount = try connection.prepare("SELECT \(LedgerSchema.accountColumns) FROM ledger_accounts WHERE id = ?")
        selectDue = try connection.prepare("""
            SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers
            WHERE pending_state = 1 AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?
            """)
        insertAccount = try connection.prepare("INSERT INTO ledger_accounts (\(LedgerSchema.accountColumns)) VALUES (?,?,?,?,?,?,?,?,?,?)")
        updateAccount = try connection.prepare("""
            UPDATE ledger_accounts SET flags = ?2, debits_pending = ?3, debits_posted = ?4, credits_pending = ?5,
                credits_posted = ?6 WHERE id = ?1
            """)
        insertTransfer = try connection.prepare("INSERT INTO ledger_transfers (\(LedgerSchema.transferColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        updatePending = try connection.prepare("UPDATE ledger_transfers SET pending_state = ?2, resolved_at = ?3 WHERE id = ?1 AND kind = 1")
        insertFailure = try connection.prepare("INSERT INTO ledger_transfer_failures (id, result, timestamp) VALUES (?, ?, ?)")
    }
}

private struct SQLiteLedgerWriteTransaction: LedgerWriteTransaction {
    let statements: SQLiteLedgerStatements
    let connection: SQLiteConnection

    var database: LedgerDatabase { .sqlite(connection) }

    func transfers(ids: [LedgerID]) throws -> [StoredTransfer] {
        // SQLite has one writer at a time (BEGIN IMMEDIATE): rows read here cannot change under us.
        let statement = statements.selectTransfer
        var rows: [StoredTransfer] = []
        for id in ids {
            defer { statement.reset() }
            try statement.bind(1, blob: id.bigEndianBytes)
            if try statement.step() { rows.append(try SQLiteRows.transfer(statement)) }
        }
        return rows
    }

    func failures(ids: [LedgerID]) throws -> [LedgerID: TransferResult] {
        let statement = statements.selectFailure
        var failures: [LedgerID: TransferResult] = [:]
        for id in ids {
            defer { statement.reset() }
            try statement.bind(1, blob: id.bigEndianBytes)
            if try statement.step() {
                guard let result = statement.text(0).flatMap(TransferResult.init(rawValue:)) else {
                    throw LedgerStorageError.corruptRow("unknown failure result for transfer \(id)")
                }
                failures[id] = result
            }
        }
        return failures
    }

    func accounts(ids: [LedgerID]) throws -> [Account] {
        let statement = statements.selectAccount
        var rows: [Account] = []
        for id in ids {
            defer { statement.reset() }
            try statement.bind(1, blob: id.bigEndianBytes)
            if try statement.step() { rows.append(try SQLiteRows.account(statement)) }
        }
        return rows
    }

    func duePendingTransfers(now: Int64, limit: Int) throws -> [StoredTransfer] {
        let statement = statements.selectDue
        defer { statement.reset() }
        try statement.bind(1, now)
        try statement.bind(2, Int64(limit))
        var rows: [StoredTransfer] = []
        while try statement.step() { rows.append(try SQLiteRows.transfer(statement)) }
        return rows
    }

    func insert(accounts: [Account]) throws {
        let statement = statements.insertAccount
        for account in accounts {
            defer { statement.reset() }
            try statement.bind(1, blob: account.id.bigEndianBytes)
            try statement.bind(2, account.currency.code)
            try statement.bind(3, Int64(account.code))
            try statement.bind(4, Int64(account.flags.rawValue))
            try statement.bind(5, Int64(bitPattern: account.userData))
            try statement.bind(6, account.debitsPending)
            try statement.bind(7, account.debitsPosted)
            try statement.bind(8, account.creditsPending)
            try statement.bind(9, account.creditsPosted)
            try statement.bind(10, account.timestamp)
            try statement.step()
        }
    }

    func update(accounts: [Account]) throws {
        let statement = statements.updateAccount
        for account in accounts {
            defer { statement.reset() }
            try statement.bind(1, blob: account.id.bigEndianBytes)
            try statement.bind(2, Int64(account.flags.rawValue))
            try statement.bind(3, account.debitsPending)
            try statement.bind(4, account.debitsPosted)
            try statement.bind(5, account.creditsPending)
            try statement.bind(6, account.creditsPosted)
            try statement.step()
        }
    }

    func insert(transfers: [StoredTransfer]) throws {
        let statement = statements.insertTransfer
        for transfer in transfers {
            defer { statement.reset() }
            try statement.bind(1, blob: transfer.id.bigEndianBytes)
            try statement.bind(2, blob: transfer.debitAccountID.bigEndianBytes)
            try statement.bind(3, blob: transfer.creditAccountID.bigEndianBytes)
            try statement.bind(4, transfer.amount)
            try statement.bind(5, transfer.currency.code)
            try statement.bind(6, Int64(transfer.kind.rawValue))
            if transfer.pendingID == 0 { try statement.bindNull(7) } else { try statement.bind(7, blob: transfer.pendingID.bigEndianBytes) }
            try statement.bind(8, Int64(transfer.timeoutSeconds))
            try statement.bind(9, Int64(transfer.code))
            try statement.bind(10, Int64(bitPattern: transfer.userData))
            try statement.bind(11, transfer.timestamp)
            try statement.bind(12, Int64(transfer.pendingState.rawValue))
            if let expiresAt = transfer.expiresAt { try statement.bind(13, expiresAt) } else { try statement.bindNull(13) }
            if let resolvedAt = transfer.resolvedAt { try statement.bind(14, resolvedAt) } else { try statement.bindNull(14) }
            try statement.step()
        }
    }

    func updatePendingStates(_ transfers: [StoredTransfer]) throws {
        let statement = statements.updatePending
        for transfer in transfers {
            defer { statement.reset() }
            try statement.bind(1, blob: transfer.id.bigEndianBytes)
            try statement.bind(2, Int64(transfer.pendingState.rawValue))
            if let resolvedAt = transfer.resolvedAt { try statement.bind(3, resolvedAt) } else { try statement.bindNull(3) }
            try statement.step()
        }
    }

    func insert(failures: [RecordedFailure]) throws {
        let statement = statements.insertFailure
        for failure in failures {
            defer { statement.reset() }
            try statement.bind(1, blob: failure.id.bigEndianBytes)
            try statement.bind(2, failure.result.rawValue)
            try statement.bind(3, failure.timestamp)
            try statement.step()
        }
    }
}

/// Decoding rows (column order of `LedgerSchema.accountColumns` / `transferColumns`).
enum SQLiteRows {
    static func account(_ row: SQLiteStatement) throws -> Account {
        let id = LedgerID(bigEndianBytes: row.blob(0))
        guard let currency = row.text(1).flatMap(Currency.init(code:)) else {
            throw LedgerStorageError.corruptRow("account \(id) has an unknown currency")
        }
        var account = Account(
            id: id, currency: currency, code: UInt16(truncatingIfNeeded: row.int64(2)),
            flags: AccountFlags(rawValue: UInt16(truncatingIfNeeded: row.int64(3))),
            userData: UInt64(bitPattern: row.int64(4)))
        account.debitsPending = row.int64(5)
        account.debitsPosted = row.int64(6)
        account.creditsPending = row.int64(7)
        account.creditsPosted = row.int64(8)
        account.timestamp = row.int64(9)
        return account
    }

    static func transfer(_ row: SQLiteStatement) throws -> StoredTransfer {
        let id = LedgerID(bigEndianBytes: row.blob(0))
        guard let currency = row.text(4).flatMap(Currency.init(code:)),
              let kind = TransferKind(rawValue: UInt8(truncatingIfNeeded: row.int64(5))),
              let state = PendingState(rawValue: UInt8(truncatingIfNeeded: row.int64(11))) else {
            throw LedgerStorageError.corruptRow("transfer \(id)")
        }
        return StoredTransfer(
            id: id, debitAccountID: LedgerID(bigEndianBytes: row.blob(1)), creditAccountID: LedgerID(bigEndianBytes: row.blob(2)),
            amount: row.int64(3), currency: currency, kind: kind,
            pendingID: row.isNull(6) ? 0 : LedgerID(bigEndianBytes: row.blob(6)),
            timeoutSeconds: UInt32(truncatingIfNeeded: row.int64(7)), code: UInt16(truncatingIfNeeded: row.int64(8)),
            userData: UInt64(bitPattern: row.int64(9)), timestamp: row.int64(10), pendingState: state,
            expiresAt: row.isNull(12) ? nil : row.int64(12), resolvedAt: row.isNull(13) ? nil : row.int64(13))
    }
}
