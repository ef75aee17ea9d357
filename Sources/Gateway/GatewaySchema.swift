import Store

/// The gateway's tables (component "gateway"), next to the ledger's in the same database.
enum GatewaySchema {
    /// The same tables on PostgreSQL, derived so the two cannot drift: 64-bit
    /// integers (SQLite's INTEGER is 64-bit, PostgreSQL's 32), bytea for blobs,
    /// and on events an explicit insertion-order column where SQLite has `rowid`.
    static let postgres: [Migration] = sqlite.map { migration in
        var sql = migration.sql.replacingOccurrences(of: " INTEGER", with: " BIGINT").replacingOccurrences(of: " BLOB", with: " BYTEA")
        if migration.version == 3 {
            sql += "\nALTER TABLE events ADD COLUMN position BIGSERIAL;\nCREATE INDEX events_by_position ON events(merchant_id, mode, position);"
        }
        return Migration(version: migration.version, sql: sql)
    }

    static let sqlite: [Migration] = [
        Migration(version: 1, sql: """
        CREATE TABLE gateway_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE merchants (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            country TEXT NOT NULL,
            currency TEXT NOT NULL,
            payout_json TEXT NOT NULL,
            fee_basis_points INTEGER NOT NULL CHECK (fee_basis_points BETWEEN 0 AND 10000),
            fee_fixed_minor INTEGER NOT NULL CHECK (fee_fixed_minor >= 0),
            created INTEGER NOT NULL
        );
        CREATE TABLE api_keys (
            key_hash TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
            created INTEGER NOT NULL,
            revoked INTEGER
        );
        CREATE TABLE decisions (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL,
            created INTEGER NOT NULL,
            facts_json TEXT NOT NULL,
            response_json TEXT NOT NULL,
            outcome TEXT,
            outcome_at INTEGER
        );
        CREATE INDEX decisions_by_merchant ON decisions(merchant_id, created);
        """),
        Migration(version: 2, sql: """
        CREATE TABLE payment_methods (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
            created INTEGER NOT NULL,
            brand TEXT NOT NULL,
            bin TEXT NOT NULL,
            last4 TEXT NOT NULL,
            exp_month INTEGER NOT NULL,
            exp_year INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            customer TEXT,
            -- AES-256-GCM: nonce || ciphertext || tag, the row id as associated data.
            sealed_number BLOB NOT NULL
        );
        """),
        Migration(version: 3, sql: """
        CREATE TABLE charges (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL,
            created INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('requires_review', 'requires_action', 'requires_capture', 'succeeded', 'declined', 'canceled')),
            amount INTEGER NOT NULL CHECK (amount > 0),
            amount_captured INTEGER NOT NULL DEFAULT 0 CHECK (amount_captured BETWEEN 0 AND amount),
            amount_refunded INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded BETWEEN 0 AND amount_captured),
            fee INTEGER NOT NULL DEFAULT 0,
            currency TEXT NOT NULL,
            payment_method TEXT NOT NULL,
            customer TEXT,
            description TEXT,
            capture_on_approval INTEGER NOT NULL,
            metadata_json TEXT NOT NULL,
            risk_json TEXT NOT NULL,
            failure_code TEXT,
            failure_message TEXT
        );
        CREATE INDEX charges_by_merchant ON charges(merchant_id, mode, created);
        CREATE TABLE refunds (
            id TEXT PRIMARY KEY,
            charge_id TEXT NOT NULL REFERENCES charges(id),
            merchant_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            created INTEGER NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            reason TEXT,
            status TEXT NOT NULL
        );
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            created INTEGER NOT NULL,
            type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            data_json TEXT NOT NULL,
            UNIQUE (object_id, sequence)
        );
        CREATE INDEX events_by_merchant ON events(merchant_id, mode, created);
        CREATE TABLE idempotency_keys (
            merchant_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (merchant_id, mode, key)
        );
        """),
        Migration(version: 4, sql: """
        CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL,
            url TEXT NOT NULL,
            -- ",charge.succeeded,charge.refunded," or ",*,"
            events TEXT NOT NULL,
            secret TEXT NOT NULL,
            created INTEGER NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            event_id TEXT NOT NULL REFERENCES events(id),
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
            event_created INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_ms INTEGER NOT NULL,
            delivered_ms INTEGER,
            given_up INTEGER NOT NULL DEFAULT 0,
            last_status INTEGER,
            PRIMARY KEY (event_id, endpoint_id)
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_ms) WHERE delivered_ms IS NULL AND given_up = 0;
        """),
        Migration(version: 5, sql: """
        CREATE TABLE merchant_rules (
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL,
            version INTEGER NOT NULL,
            shadow INTEGER NOT NULL,
            hash TEXT NOT NULL,
            source TEXT NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (merchant_id, mode, version)
        );
        """),
        Migration(version: 6, sql: """
        -- /v1/lists items: present while removed IS NULL; history kept.
        CREATE TABLE list_items (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            mode TEXT NOT NULL,
            list TEXT NOT NULL,
            value TEXT NOT NULL,
            added INTEGER NOT NULL,
            removed INTEGER
        );
        CREATE UNIQUE INDEX list_items_present ON list_items(merchant_id, mode, list, value) WHERE removed IS NULL;
        CREATE INDEX list_items_by_list ON list_items(merchant_id, mode, list, added);
        """),
        Migration(version: 7, sql: """
        -- The housekeeping sweep deletes Idempotency-Key records past their retention.
        CREATE INDEX idempotency_keys_by_created ON idempotency_keys(created);
        """),
    ]
}
