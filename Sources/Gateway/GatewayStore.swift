import Foundation
import Store

/// Where the gateway's tables live: the SQLite file of the ledger (`DIR/tollgate.db`)
/// or a PostgreSQL database (`--database URL`), next to the ledger's tables.
public enum GatewayDatabase: Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// A new connection with the gateway's schema brought up to date.
    func connect() throws -> any SQLConnection {
        switch self {
        case .sqlite(let path):
            let connection = try SQLiteConnection(path: path)
            try connection.migrate(component: "gateway", GatewaySchema.sqlite)
            return connection
        case .postgres(let url):
            let connection = try PostgresConnection(url: url)
            try connection.migrate(component: "gateway", GatewaySchema.postgres)
            return connection
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): path
        // Never the URL itself: it may hold a password.
        case .postgres: "the PostgreSQL database"
        }
    }
}

/// The gateway's rows: settings, merchants, API keys (hashes only), decisions,
/// charges, lists… One connection, one caller at a time.
public final class GatewayStore: @unchecked Sendable {
    private let connection: any SQLConnection
    private let lock = NSLock()

    public init(_ database: GatewayDatabase) throws {
        connection = try database.connect()
    }

    /// Runs `body` on the gateway's connection (reads of committed rows; small writes).
    func withConnection<Result>(_ body: (any SQLConnection) throws -> Result) rethrows -> Result {
        try locked { try body(connection) }
    }

    private func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func setting(_ name: String) throws -> String? {
        try locked {
            let select = try connection.statement("SELECT value FROM gateway_settings WHERE name = ?")
            try select.bind(1, name)
            return try select.step() ? select.text(0) : nil
        }
    }

    /// Sets `name` unless it is set already; returns the value in force.
    func settingIfAbsent(_ name: String, _ value: String) throws -> String {
        try locked {
            try connection.transaction {
                let insert = try connection.statement("INSERT INTO gateway_settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING")
                try insert.bind(1, name)
                try insert.bind(2, value)
                _ = try insert.step()
            }
            let select = try connection.statement("SELECT value FROM gateway_settings WHERE name = ?")
            try select.bind(1, name)
            _ = try select.step()
            return select.text(0) ?? value
        }
    }

    /// The merchant and both of its keys' hashes, in one transaction.
    func insert(_ merchant: Merchant, keys: [(hash: String, mode: String)]) throws {
        try locked {
            try connection.transaction {
                let insert = try connection.statement("""
                    INSERT INTO merchants(id, name, country, currency, payout_json, fee_basis_points, fee_fixed_minor, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                try insert.bind(1, merchant.id)
                try insert.bind(2, merchant.name)
                try insert.bind(3, merchant.country)
                try insert.bind(4, merchant.currency)
                try insert.bind(5, merchant.payoutJSON)
                try insert.bind(6, merchant.feeBasisPoints)
                try insert.bind(7, merchant.feeFixedMinor)
                try insert.bind(8, merchant.created)
                _ = try insert.step()
                for key in keys {
                    let keyInsert = try connection.statement("INSERT INTO api_keys(key_hash, merchant_id, mode, created) VALUES (?, ?, ?, ?)")
                    try keyInsert.bind(1, key.hash)
                    try keyInsert.bind(2, merchant.id)
                    try keyInsert.bind(3, key.mode)
                    try keyInsert.bind(4, merchant.created)
                    _ = try keyInsert.step()
                }
            }
        }
    }

    func merchant(id: String) throws -> Merchant? {
        try locked {
            let select = try connection.statement("""
                SELECT id, name, country, currency, payout_json, fee_basis_points, fee_fixed_minor, created FROM merchants WHERE id = ?
                """)
            try select.bind(1, id)
            return try select.step() ? Self.merchant(select) : nil
        }
    }

    /// The merchant and mode of an unrevoked key with this hash.
    func merchant(keyHash: String) throws -> (Merchant, mode: String)? {
        try locked {
            let select = try connection.statement("""
                SELECT m.id, m.name, m.country, m.currency, m.payout_json, m.fee_basis_points, m.fee_fixed_minor, m.created, k.mode, k.key_hash
                FROM api_keys k JOIN merchants m ON m.id = k.merchant_id WHERE k.key_hash = ? AND k.revoked IS NULL
                """)
            try select.bind(1, keyHash)
            guard try select.step(), let stored = select.text(9), Secrets.constantTimeEqual(stored, keyHash) else { return nil }
            return (Self.merchant(select), select.text(8) ?? "test")
        }
    }

    private static func merchant(_ row: any SQLStatement) -> Merchant {
        Merchant(id: row.text(0) ?? "", name: row.text(1) ?? "", country: row.text(2) ?? "", currency: row.text(3) ?? "",
                 payoutJSON: row.text(4) ?? "{}", feeBasisPoints: row.int64(5), feeFixedMinor: row.int64(6), created: row.int64(7))
    }

    // MARK: payment methods

    struct StoredPaymentMethod {
        let id: String
        let merchantID: String
        let mode: String
        let created: Int64
        let brand: String
        let bin: String
        let last4: String
        let expMonth: Int64
        let expYear: Int64
        let fingerprint: String
        let customer: String?
        let sealedNumber: [UInt8]
    }

    func insert(_ method: StoredPaymentMethod) throws {
        try locked {
            try connection.transaction {
                let insert = try connection.statement("""
                    INSERT INTO payment_methods(id, merchant_id, mode, created, brand, bin, last4, exp_month, exp_year, fingerprint, customer, sealed_number)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                try insert.bind(1, method.id)
                try insert.bind(2, method.merchantID)
                try insert.bind(3, method.mode)
                try insert.bind(4, method.created)
                try insert.bind(5, method.brand)
                try insert.bind(6, method.bin)
                try insert.bind(7, method.last4)
                try insert.bind(8, method.expMonth)
                try insert.bind(9, method.expYear)
                try insert.bind(10, method.fingerprint)
                if let customer = method.customer { try insert.bind(11, customer) } else { try insert.bindNull(11) }
                try insert.bind(12, blob: method.sealedNumber)
                _ = try insert.step()
            }
        }
    }

    func paymentMethod(id: String, merchantID: String) throws -> StoredPaymentMethod? {
        try locked {
            let select = try connection.statement("""
                SELECT id, merchant_id, mode, created, brand, bin, last4, exp_month, exp_year, fingerprint, customer, sealed_number
                FROM payment_methods WHERE id = ? AND merchant_id = ?
                """)
            try select.bind(1, id)
            try select.bind(2, merchantID)
            guard try select.step() else { return nil }
            return StoredPaymentMethod(
                id: select.text(0) ?? "", merchantID: select.text(1) ?? "", mode: select.text(2) ?? "", created: select.int64(3),
                brand: select.text(4) ?? "", bin: select.text(5) ?? "", last4: select.text(6) ?? "", expMonth: select.int64(7),
                expYear: select.int64(8), fingerprint: select.text(9) ?? "", customer: select.isNull(10) ? nil : select.text(10),
                sealedNumber: select.blob(11))
        }
    }

    // MARK: decisions

    struct StoredDecision {
        let id: String
        let merchantID: String
        let mode: String
        let created: Int64
        let factsJSON: String
        let responseJSON: String
        var outcome: String?
    }

    func insert(_ decisions: [StoredDecision]) throws {
        try locked {
            try connection.transaction {
                let insert = try connection.statement("""
                    INSERT INTO decisions(id, merchant_id, mode, created, facts_json, response_json) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                for decision in decisions {
                    insert.reset()
                    try insert.bind(1, decision.id)
                    try insert.bind(2, decision.merchantID)
                    try insert.bind(3, decision.mode)
                    try insert.bind(4, decision.created)
                    try insert.bind(5, decision.factsJSON)
                    try insert.bind(6, decision.responseJSON)
                    _ = try insert.step()
                }
            }
        }
    }

    func decision(id: String, merchantID: String) throws -> StoredDecision? {
        try locked {
            let select = try connection.statement("""
                SELECT id, merchant_id, mode, created, facts_json, response_json, outcome FROM decisions WHERE id = ? AND merchant_id = ?
                """)
            try select.bind(1, id)
            try select.bind(2, merchantID)
            guard try select.step() else { return nil }
            return StoredDecision(id: select.text(0) ?? "", merchantID: select.text(1) ?? "", mode: select.text(2) ?? "",
                                  created: select.int64(3), factsJSON: select.text(4) ?? "{}", responseJSON: select.text(5) ?? "{}",
                                  outcome: select.text(6))
        }
    }

    func setOutcome(decisionID: String, outcome: String, at time: Int64) throws {
        try locked {
            try connection.transaction {
                let update = try connection.statement("UPDATE decisions SET outcome = ?, outcome_at = ? WHERE id = ?")
                try update.bind(1, outcome)
                try update.bind(2, time)
                try update.bind(3, decisionID)
                _ = try update.step()
            }
        }
    }
}
