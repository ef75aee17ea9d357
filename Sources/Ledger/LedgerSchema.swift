import Store

/// The ledger's tables, versioned per backend. Add a migration; never edit one
/// that has shipped.
enum LedgerSchema {
    static let component = "ledger"

    static let sqlite: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE ledger_accounts (
                id BLOB PRIMARY KEY CHECK (length(id) = 16),
                currency TEXT NOT NULL,
                code INTEGER NOT NULL,
                flags INTEGER NOT NULL,
                user_data INTEGER NOT NULL,
                debits_pending INTEGER NOT NULL CHECK (debits_pending >= 0),
                debits_posted INTEGER NOT NULL CHECK (debits_posted >= 0),
                credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0),
                credits_posted INTEGER NOT NULL CHECK (credits_posted >= 0),
                timestamp INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE ledger_transfers (
                id BLOB PRIMARY KEY CHECK (length(id) = 16),
                debit_account_id BLOB NOT NULL REFERENCES ledger_accounts(id),
                credit_account_id BLOB NOT NULL REFERENCES ledger_accounts(id),
                amount INTEGER NOT NULL CHECK (amount > 0),
                currency TEXT NOT NULL,
                kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3),
                pending_id BLOB,
                timeout_seconds INTEGER NOT NULL,
                code INTEGER NOT NULL,
                user_data INTEGER NOT NULL,
                timestamp INTEGER NOT NULL,
                pending_state INTEGER NOT NULL,
                expires_at INTEGER,
                resolved_at INTEGER
            ) WITHOUT ROWID;
            CREATE INDEX ledger_transfers_by_debit ON ledger_transfers(debit_account_id, timestamp);
            CREATE INDEX ledger_transfers_by_credit ON ledger_transfers(credit_account_id, timestamp);
            -- A pending transfer is posted or voided at most once, whatever the code above does.
            CREATE UNIQUE INDEX ledger_transfers_one_resolution ON ledger_transfers(pending_id) WHERE pending_id IS NOT NULL;
            CREATE INDEX ledger_transfers_due ON ledger_transfers(expires_at) WHERE pending_state = 1 AND expires_at IS NOT NULL;
            CREATE TABLE ledger_transfer_failures (
                id BLOB PRIMARY KEY CHECK (length(id) = 16),
                result TEXT NOT NULL,
                timestamp INTEGER NOT NULL
            ) WITHOUT ROWID;
            """),
    ]

    // Ids are uuid (16 bytes, text form without escaping in arrays).
    static let postgres: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE ledger_accounts (
                id uuid PRIMARY KEY,
                currency text NOT NULL,
                code integer NOT NULL,
                flags integer NOT NULL,
                user_data bigint NOT NULL,
                debits_pending bigint NOT NULL CHECK (debits_pending >= 0),
                debits_posted bigint NOT NULL CHECK (debits_posted >= 0),
                credits_pending bigint NOT NULL CHECK (credits_pending >= 0),
                credits_posted bigint NOT NULL CHECK (credits_posted >= 0),
                timestamp bigint NOT NULL
            );
            CREATE TABLE ledger_transfers (
                id uuid PRIMARY KEY,
                debit_account_id uuid NOT NULL REFERENCES ledger_accounts(id),
                credit_account_id uuid NOT NULL REFERENCES ledger_accounts(id),
                amount bigint NOT NULL CHECK (amount > 0),
                currency text NOT NULL,
                kind smallint NOT NULL CHECK (kind BETWEEN 0 AND 3),
                pending_id uuid,
                timeout_seconds bigint NOT NULL,
                code integer NOT NULL,
                user_data bigint NOT NULL,
                timestamp bigint NOT NULL,
                pending_state smallint NOT NULL,
                expires_at bigint,
                resolved_at bigint
            );
            CREATE INDEX ledger_transfers_by_debit ON ledger_transfers(debit_account_id, timestamp);
            CREATE INDEX ledger_transfers_by_credit ON ledger_transfers(credit_account_id, timestamp);
            CREATE UNIQUE INDEX ledger_transfers_one_resolution ON ledger_transfers(pending_id) WHERE pending_id IS NOT NULL;
            CREATE INDEX ledger_transfers_due ON ledger_transfers(expires_at) WHERE pending_state = 1 AND expires_at IS NOT NULL;
            CREATE TABLE ledger_transfer_failures (
                id uuid PRIMARY KEY,
                result text NOT NULL,
                timestamp bigint NOT NULL
            );
            """),
    ]

    static let transferColumns = """
        id, debit_account_id, credit_account_id, amount, currency, kind, pending_id, timeout_seconds, \
        code, user_data, timestamp, pending_state, expires_at, resolved_at
        """
    static let accountColumns = """
        id, currency, code, flags, user_data, debits_pending, debits_posted, credits_pending, credits_posted, timestamp
        """

    // Verification queries, the same text on both backends.
    static let pendingSumsSQL = """
        SELECT debit_account_id, credit_account_id, SUM(amount) FROM ledger_transfers
        WHERE kind = 1 AND pending_state = 1 GROUP BY debit_account_id, credit_account_id
        """
    static let postedSumsSQL = """
        SELECT debit_account_id, credit_account_id, SUM(amount) FROM ledger_transfers
        WHERE kind IN (0, 2) GROUP BY debit_account_id, credit_account_id
        """
    static let doublyResolvedSQL = """
        SELECT pending_id FROM ledger_transfers WHERE pending_id IS NOT NULL GROUP BY pending_id HAVING COUNT(*) > 1
        """
    static let inconsistentResolutionsSQL = """
        SELECT r.id FROM ledger_transfers r LEFT JOIN ledger_transfers p ON p.id = r.pending_id
        WHERE r.kind IN (2, 3) AND (p.id IS NULL OR p.kind <> 1 OR p.pending_state <> r.kind OR r.amount > p.amount
            OR r.debit_account_id <> p.debit_account_id OR r.credit_account_id <> p.credit_account_id)
        -- (post = kind 2 leaves its pending in state 2 "posted"; void = 3 in state 3 "voided")
        UNION ALL
        SELECT p.id FROM ledger_transfers p WHERE p.kind = 1 AND p.pending_state IN (2, 3)
            AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id)
        """
    static let currencyMismatchSQL = """
        SELECT t.id FROM ledger_transfers t
        JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
        WHERE t.currency <> d.currency OR t.currency <> c.currency
        """
}
