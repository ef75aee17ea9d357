import Foundation
import Store
import TollgateCore

/// The shared ledger store: PostgreSQL, which several gateway processes may use at once.
///
/// Isolation: each batch runs SERIALIZABLE. Every cross-process race (the same
/// transfer id submitted to two processes, one recording it failed while the
/// other creates it; two posts of one hold; two debits racing a balance limit)
/// then either behaves as some serial order of the batches or aborts with a
/// serialization failure, which the writer retries as a whole (nothing of it was
/// committed). Accounts and pending holds are also locked `FOR UPDATE` in id
/// order, so contenders queue instead of deadlocking. Within one process there is
/// one writer, so there are no conflicts at all.
///
/// Each batch takes a fixed handful of round trips: rows are read with
/// `= ANY($1::uuid[])` and written with `unnest` of array parameters.
final class PostgresLedgerStorage: LedgerStorage, @unchecked Sendable {
    private let url: String
    private let writeLock = NSLock()
    private var writer: PostgresConnection?
    private let readLock = NSLock()
    private var reader: PostgresConnection?

    init(url: String) throws {
        self.url = url
        let connection = try PostgresConnection(url: url)
        try connection.migrate(component: LedgerSchema.component, LedgerSchema.postgres)
        writer = connection
    }

    func writeBatch<Result>(_ body: (any LedgerWriteTransaction) throws -> Result) throws -> Result {
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            let connection = try writer ?? PostgresConnection(url: url)
            writer = connection
            return try connection.transaction(isolation: "SERIALIZABLE") {
                try body(PostgresLedgerWriteTransaction(connection: connection))
            }
        } catch let error as PostgresError {
            if error.isConnectionFailure { writer = nil }
            if error.isRetryable || error.isUniqueViolation { throw LedgerStorageError.retryable(error.description) }
            throw LedgerStorageError.failed(error.description)
        }
    }

    /// Runs reads in one REPEATABLE READ transaction: one consistent snapshot.
    private func read<Result>(_ body: (PostgresConnection) throws -> Result) throws -> Result {
        readLock.lock()
        defer { readLock.unlock() }
        do {
            let connection = try reader ?? PostgresConnection(url: url)
            reader = connection
            return try connection.transaction(isolation: "REPEATABLE READ READ ONLY") { try body(connection) }
        } catch let error as PostgresError {
            if error.isConnectionFailure { reader = nil }
            throw LedgerStorageError.failed(error.description)
        }
    }

    func lastTimestamp() throws -> Int64 {
        try read { connection in
            try connection.execute("""
                SELECT greatest((SELECT max(timestamp) FROM ledger_transfers), (SELECT max(timestamp) FROM ledger_accounts),
                                (SELECT max(timestamp) FROM ledger_transfer_failures), 0)
                """).int64(0, 0)
        }
    }

    func account(id: LedgerID) throws -> Account? {
        try read { connection in
            let rows = try connection.execute("SELECT \(LedgerSchema.accountColumns) FROM ledger_accounts WHERE id = $1", [id.uuidText])
            return rows.rowCount > 0 ? try PostgresRows.account(rows, 0) : nil
        }
    }

    func transfer(id: LedgerID) throws -> StoredTransfer? {
        try read { connection in
            let rows = try connection.execute("SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers WHERE id = $1", [id.uuidText])
            return rows.rowCount > 0 ? try PostgresRows.transfer(rows, 0) : nil
        }
    }

    func recordedFailure(id: LedgerID) throws -> TransferResult? {
        try read { connection in
            let rows = try connection.execute("SELECT result FROM ledger_transfer_failures WHERE id = $1", [id.uuidText])
            return rows.rowCount > 0 ? rows.text(0, 0).flatMap(TransferResult.init(rawValue:)) : nil
        }
    }

    func transfers(of accountID: LedgerID, query: TransferQuery) throws -> [StoredTransfer] {
        try read { connection in
            let rows = try connection.execute("""
                SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers
                WHERE (debit_account_id = $1 OR credit_account_id = $1)
                  AND timestamp BETWEEN $2 AND $3 AND (timestamp, id) > ($4, $5::uuid)
                ORDER BY timestamp, id LIMIT $6
                """, [accountID.uuidText, String(query.fromTimestamp), String(query.toTimestamp),
                      String(query.after?.timestamp ?? Int64.min), (query.after?.id ?? 0).uuidText, String(query.limit)])
            return try (0..<rows.rowCount).map { try PostgresRows.transfer(rows, $0) }
        }
    }

    func allTransfers(of accountID: LedgerID, upTo timestamp: Int64) throws -> [StoredTransfer] {
        try read { connection in
            let rows = try connection.execute("""
                SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers
                WHERE (debit_account_id = $1 OR credit_account_id = $1) AND timestamp <= $2
                """, [accountID.uuidText, String(timestamp)])
            return try (0..<rows.rowCount).map { try PostgresRows.transfer(rows, $0) }
        }
    }

    func verificationSnapshot() throws -> VerificationSnapshot {
        try read { connection in
            let accountRows = try connection.execute("SELECT \(LedgerSchema.accountColumns) FROM ledger_accounts ORDER BY id")
            let accounts = try (0..<accountRows.rowCount).map { try PostgresRows.account(accountRows, $0) }
            var sums: [LedgerID: TransferSums] = [:]
            for (sql, isPending) in [(LedgerSchema.pendingSumsSQL, true), (LedgerSchema.postedSumsSQL, false)] {
                let rows = try connection.execute(sql)
                for row in 0..<rows.rowCount {
                    sums.add(debit: try PostgresRows.id(rows, row, 0), credit: try PostgresRows.id(rows, row, 1),
                             amount: rows.int64(row, 2), isPending: isPending)
                }
            }
            func ids(_ sql: String) throws -> [LedgerID] {
                let rows = try connection.execute(sql)
                return try (0..<rows.rowCount).map { try PostgresRows.id(rows, $0, 0) }
            }
            return VerificationSnapshot(
                accounts: accounts, sumsByAccount: sums,
                doublyResolvedPendingIDs: try ids(LedgerSchema.doublyResolvedSQL),
                inconsistentResolutions: try ids(LedgerSchema.inconsistentResolutionsSQL),
                currencyMismatchedTransfers: try ids(LedgerSchema.currencyMismatchSQL),
                transferCount: Int(try connection.execute("SELECT count(*) FROM ledger_transfers").int64(0, 0)))
        }
    }
}

private struct PostgresLedgerWriteTransaction: LedgerWriteTransaction {
    let connection: PostgresConnection

    var database: LedgerDatabase { .postgres(connection) }

    func transfers(ids: [LedgerID]) throws -> [StoredTransfer] {
        guard !ids.isEmpty else { return [] }
        let rows = try connection.executePrepared(
            "ledger_transfers_locked",
            "SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
            [PostgresArray.ids(ids)])
        return try (0..<rows.rowCount).map { try PostgresRows.transfer(rows, $0) }
    }

    func failures(ids: [LedgerID]) throws -> [LedgerID: TransferResult] {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.executePrepared(
            "ledger_failures_by_id", "SELECT id, result FROM ledger_transfer_failures WHERE id = ANY($1::uuid[])",
            [PostgresArray.ids(ids)])
        var failures: [LedgerID: TransferResult] = [:]
        for row in 0..<rows.rowCount {
            guard let result = rows.text(row, 1).flatMap(TransferResult.init(rawValue:)) else {
                throw LedgerStorageError.corruptRow("unknown failure result \(rows.text(row, 1) ?? "NULL")")
            }
            failures[try PostgresRows.id(rows, row, 0)] = result
        }
        return failures
    }

    func accounts(ids: [LedgerID]) throws -> [Account] {
        guard !ids.isEmpty else { return [] }
        let rows = try connection.executePrepared(
            "ledger_accounts_locked",
            "SELECT \(LedgerSchema.accountColumns) FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
            [PostgresArray.ids(ids)])
        return try (0..<rows.rowCount).map { try PostgresRows.account(rows, $0) }
    }

    func duePendingTransfers(now: Int64, limit: Int) throws -> [StoredTransfer] {
        // SKIP LOCKED: another process already expiring a hold leaves it to that process.
        let rows = try connection.executePrepared("ledger_due_pending", """
            SELECT \(LedgerSchema.transferColumns) FROM ledger_transfers
            WHERE pending_state = 1 AND expires_at IS NOT NULL AND expires_at <= $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
            """, [String(now), String(limit)])
        return try (0..<rows.rowCount).map { try PostgresRows.transfer(rows, $0) }
    }

    func insert(accounts: [Account]) throws {
        guard !accounts.isEmpty else { return }
        try connection.executePrepared("ledger_insert_accounts", """
            INSERT INTO ledger_accounts (\(LedgerSchema.accountColumns))
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[],
                                 $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
            """, [
                PostgresArray.ids(accounts.map(\.id)), PostgresArray.texts(accounts.map(\.currency.code)),
                PostgresArray.integers(accounts.map { Int64($0.code) }), PostgresArray.integers(accounts.map { Int64($0.flags.rawValue) }),
                PostgresArray.integers(accounts.map { Int64(bitPattern: $0.userData) }),
                PostgresArray.integers(accounts.map(\.debitsPending)), PostgresArray.integers(accounts.map(\.debitsPosted)),
                PostgresArray.integers(accounts.map(\.creditsPending)), PostgresArray.integers(accounts.map(\.creditsPosted)),
                PostgresArray.integers(accounts.map(\.timestamp)),
            ])
    }

    func update(accounts: [Account]) throws {
        guard !accounts.isEmpty else { return }
        try connection.executePrepared("ledger_update_accounts", """
            UPDATE ledger_accounts a SET flags = u.flags, debits_pending = u.debits_pending,
                debits_posted = u.debits_posted, credits_pending = u.credits_pending, credits_posted = u.credits_posted
            FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
                AS u(id, flags, debits_pending, debits_posted, credits_pending, credits_posted)
            WHERE a.id = u.id
            """, [
                PostgresArray.ids(accounts.map(\.id)), PostgresArray.integers(accounts.map { Int64($0.flags.rawValue) }),
                PostgresArray.integers(accounts.map(\.debitsPending)), PostgresArray.integers(accounts.map(\.debitsPosted)),
                PostgresArray.integers(accounts.map(\.creditsPending)), PostgresArray.integers(accounts.map(\.creditsPosted)),
            ])
    }

    func insert(transfers: [StoredTransfer]) throws {
        guard !transfers.isEmpty else { return }
        try connection.executePrepared("ledger_insert_transfers", """
            INSERT INTO ledger_transfers (\(LedgerSchema.transferColumns))
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::smallint[], $7::uuid[],
                                 $8::bigint[], $9::int[], $10::bigint[], $11::bigint[], $12::smallint[], $13::bigint[], $14::bigint[])
            """, [
                PostgresArray.ids(transfers.map(\.id)), PostgresArray.ids(transfers.map(\.debitAccountID)),
                PostgresArray.ids(transfers.map(\.creditAccountID)), PostgresArray.integers(transfers.map(\.amount)),
                PostgresArray.texts(transfers.map(\.currency.code)), PostgresArray.integers(transfers.map { Int64($0.kind.rawValue) }),
                PostgresArray.optionalIDs(transfers.map { $0.pendingID == 0 ? nil : $0.pendingID }),
                PostgresArray.integers(transfers.map { Int64($0.timeoutSeconds) }), PostgresArray.integers(transfers.map { Int64($0.code) }),
                PostgresArray.integers(transfers.map { Int64(bitPattern: $0.userData) }), PostgresArray.integers(transfers.map(\.timestamp)),
                PostgresArray.integers(transfers.map { Int64($0.pendingState.rawValue) }),
                PostgresArray.optionalIntegers(transfers.map(\.expiresAt)), PostgresArray.optionalIntegers(transfers.map(\.resolvedAt)),
            ])
    }

    func updatePendingStates(_ transfers: [StoredTransfer]) throws {
        guard !transfers.isEmpty else { return }
        try connection.executePrepared("ledger_update_pending", """
            UPDATE ledger_transfers t SET pending_state = u.state, resolved_at = u.resolved_at
            FROM unnest($1::uuid[], $2::smallint[], $3::bigint[]) AS u(id, state, resolved_at)
            WHERE t.id = u.id AND t.kind = 1
            """, [
                PostgresArray.ids(transfers.map(\.id)), PostgresArray.integers(transfers.map { Int64($0.pendingState.rawValue) }),
                PostgresArray.optionalIntegers(transfers.map(\.resolvedAt)),
            ])
    }

    func insert(failures: [RecordedFailure]) throws {
        guard !failures.isEmpty else { return }
        try connection.executePrepared("ledger_insert_failures", """
            INSERT INTO ledger_transfer_failures (id, result, timestamp) SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
            """, [
                PostgresArray.ids(failures.map(\.id)), PostgresArray.texts(failures.map(\.result.rawValue)),
                PostgresArray.integers(failures.map(\.timestamp)),
            ])
    }
}

/// Array parameters in PostgreSQL's text form. Elements here (uuids, integers,
/// currency codes, result names) never need quoting.
enum PostgresArray {
    static func ids(_ ids: [LedgerID]) -> String { "{" + ids.map(\.uuidText).joined(separator: ",") + "}" }
    static func optionalIDs(_ ids: [LedgerID?]) -> String { "{" + ids.map { $0?.uuidText ?? "NULL" }.joined(separator: ",") + "}" }
    static func integers(_ values: [Int64]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }
    static func optionalIntegers(_ values: [Int64?]) -> String { "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}" }
    static func texts(_ values: [String]) -> String {
        precondition(values.allSatisfy { $0.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F } },
                     "array text elements are plain words")
        return "{" + values.joined(separator: ",") + "}"
    }
}

/// Decoding rows (column order of `LedgerSchema.accountColumns` / `transferColumns`).
enum PostgresRows {
    static func id(_ rows: PostgresResult, _ row: Int, _ column: Int) throws -> LedgerID {
        guard let text = rows.text(row, column), let id = LedgerID(uuidText: text) else {
            throw LedgerStorageError.corruptRow("not a uuid: \(rows.text(row, column) ?? "NULL")")
        }
        return id
    }

    static func account(_ rows: PostgresResult, _ row: Int) throws -> Account {
        let id = try id(rows, row, 0)
        guard let currency = rows.text(row, 1).flatMap(Currency.init(code:)) else {
            throw LedgerStorageError.corruptRow("account \(id) has an unknown currency")
        }
        var account = Account(
            id: id, currency: currency, code: UInt16(truncatingIfNeeded: rows.int64(row, 2)),
            flags: AccountFlags(rawValue: UInt16(truncatingIfNeeded: rows.int64(row, 3))),
            userData: UInt64(bitPattern: rows.int64(row, 4)))
        account.debitsPending = rows.int64(row, 5)
        account.debitsPosted = rows.int64(row, 6)
        account.creditsPending = rows.int64(row, 7)
        account.creditsPosted = rows.int64(row, 8)
        account.timestamp = rows.int64(row, 9)
        return account
    }

    static func transfer(_ rows: PostgresResult, _ row: Int) throws -> StoredTransfer {
        let id = try id(rows, row, 0)
        guard let currency = rows.text(row, 4).flatMap(Currency.init(code:)),
              let kind = TransferKind(rawValue: UInt8(truncatingIfNeeded: rows.int64(row, 5))),
              let state = PendingState(rawValue: UInt8(truncatingIfNeeded: rows.int64(row, 11))) else {
            throw LedgerStorageError.corruptRow("transfer \(id)")
        }
        return StoredTransfer(
            id: id, debitAccountID: try self.id(rows, row, 1), creditAccountID: try self.id(rows, row, 2),
            amount: rows.int64(row, 3), currency: currency, kind: kind,
            pendingID: rows.isNull(row, 6) ? 0 : try self.id(rows, row, 6),
            timeoutSeconds: UInt32(truncatingIfNeeded: rows.int64(row, 7)), code: UInt16(truncatingIfNeeded: rows.int64(row, 8)),
            userData: UInt64(bitPattern: rows.int64(row, 9)), timestamp: rows.int64(row, 10), pendingState: state,
            expiresAt: rows.isNull(row, 12) ? nil : rows.int64(row, 12), resolvedAt: rows.isNull(row, 13) ? nil : rows.int64(row, 13))
    }
}
