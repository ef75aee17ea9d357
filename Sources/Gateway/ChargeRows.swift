import Foundation
import HTTP
import Store

/// A charge as stored.
struct StoredCharge {
    var id: String
    var merchantID: String
    var mode: String
    var created: Int64
    var status: String
    var amount: Int64
    var amountCaptured: Int64 = 0
    var amountRefunded: Int64 = 0
    var fee: Int64 = 0
    var currency: String
    var paymentMethod: String
    var customer: String?
    var description: String?
    var captureOnApproval: Bool
    var metadataJSON: String
    var riskJSON: String
    var failureCode: String?
    var failureMessage: String?

    var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("id", .string(id)), ("object", "charge"), ("status", .string(status)), ("amount", .integer(amount)),
            ("amount_captured", .integer(amountCaptured)), ("amount_refunded", .integer(amountRefunded)), ("fee", .integer(fee)),
            ("currency", .string(currency)), ("payment_method", .string(paymentMethod)), ("customer", .optional(customer)),
            ("description", .optional(description)), ("created", .integer(created)), ("livemode", .bool(mode == "live")),
            ("risk", .raw(riskJSON)), ("metadata", .raw(metadataJSON)),
        ]
        if let failureCode { pairs.append(("failure_code", .string(failureCode))) }
        if let failureMessage { pairs.append(("failure_message", .string(failureMessage))) }
        return .object(pairs)
    }
}

struct StoredRefund {
    var id: String
    var chargeID: String
    var merchantID: String
    var mode: String
    var created: Int64
    var amount: Int64
    var reason: String?
    var status: String

    var json: JSONValue {
        ["id": .string(id), "object": "refund", "charge": .string(chargeID), "amount": .integer(amount),
         "reason": .optional(reason), "status": .string(status), "created": .integer(created), "livemode": .bool(mode == "live")]
    }
}

/// The SQL of charges, refunds, events and idempotency records, on whichever
/// connection: the ledger writer's inside an attachment (so a state change
/// commits with its transfers), or the gateway's for reads.
enum ChargeRows {
    static let chargeColumns = """
        id, merchant_id, mode, created, status, amount, amount_captured, amount_refunded, fee, currency, payment_method,
        customer, description, capture_on_approval, metadata_json, risk_json, failure_code, failure_message
        """

    static func insert(_ charge: StoredCharge, on connection: any SQLConnection) throws {
        let insert = try connection.statement("INSERT INTO charges(\(chargeColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        try bind(charge, to: insert)
        _ = try insert.step()
    }

    static func update(_ charge: StoredCharge, on connection: any SQLConnection) throws {
        let update = try connection.statement("""
            UPDATE charges SET status = ?, amount_captured = ?, amount_refunded = ?, fee = ?, failure_code = ?, failure_message = ? WHERE id = ?
            """)
        try update.bind(1, charge.status)
        try update.bind(2, charge.amountCaptured)
        try update.bind(3, charge.amountRefunded)
        try update.bind(4, charge.fee)
        try bindOptional(update, 5, charge.failureCode)
        try bindOptional(update, 6, charge.failureMessage)
        try update.bind(7, charge.id)
        _ = try update.step()
    }

    static func charge(id: String, merchantID: String, mode: String, on connection: any SQLConnection) throws -> StoredCharge? {
        let select = try connection.statement("SELECT \(chargeColumns) FROM charges WHERE id = ? AND merchant_id = ? AND mode = ?")
        try select.bind(1, id)
        try select.bind(2, merchantID)
        try select.bind(3, mode)
        return try select.step() ? read(select) : nil
    }

    /// Newest first; `after` is the id of the last charge of the previous page.
    static func charges(merchantID: String, mode: String, status: String?, limit: Int, after: String?,
                        on connection: any SQLConnection) throws -> [StoredCharge] {
        var sql = "SELECT \(chargeColumns) FROM charges WHERE merchant_id = ? AND mode = ?"
        if status != nil { sql += " AND status = ?" }
        if after != nil {
            sql += " AND (created, id) < (SELECT created, id FROM charges WHERE id = ? AND merchant_id = ? AND mode = ?)"
        }
        sql += " ORDER BY created DESC, id DESC LIMIT ?"
        let select = try connection.statement(sql)
        var index: Int32 = 1
        func bindNext(_ value: String) throws {
            try select.bind(index, value)
            index += 1
        }
        try bindNext(merchantID)
        try bindNext(mode)
        if let status { try bindNext(status) }
        if let after {
            try bindNext(after)
            try bindNext(merchantID)
            try bindNext(mode)
        }
        try select.bind(index, Int64(limit))
        var charges: [StoredCharge] = []
        while try select.step() { charges.append(read(select)) }
        return charges
    }

    static func insert(_ refund: StoredRefund, on connection: any SQLConnection) throws {
        let insert = try connection.statement("""
            INSERT INTO refunds(id, charge_id, merchant_id, mode, created, amount, reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.bind(1, refund.id)
        try insert.bind(2, refund.chargeID)
        try insert.bind(3, refund.merchantID)
        try insert.bind(4, refund.mode)
        try insert.bind(5, refund.created)
        try insert.bind(6, refund.amount)
        try bindOptional(insert, 7, refund.reason)
        try insert.bind(8, refund.status)
        _ = try insert.step()
    }

    static func refund(id: String, merchantID: String, mode: String, on connection: any SQLConnection) throws -> StoredRefund? {
        let select = try connection.statement("""
            SELECT id, charge_id, merchant_id, mode, created, amount, reason, status FROM refunds WHERE id = ? AND merchant_id = ? AND mode = ?
            """)
        try select.bind(1, id)
        try select.bind(2, merchantID)
        try select.bind(3, mode)
        guard try select.step() else { return nil }
        return StoredRefund(id: select.text(0) ?? "", chargeID: select.text(1) ?? "", merchantID: select.text(2) ?? "",
                            mode: select.text(3) ?? "", created: select.int64(4), amount: select.int64(5),
                            reason: select.isNull(6) ? nil : select.text(6), status: select.text(7) ?? "")
    }

    /// An event for a state change, numbered per object so receivers can order them.
    static func insertEvent(type: String, object: JSONValue, objectID: String, merchantID: String, mode: String, now: Int64,
                            on connection: any SQLConnection) throws {
        let next = try connection.statement("SELECT COALESCE(MAX(sequence), 0) + 1 FROM events WHERE object_id = ?")
        try next.bind(1, objectID)
        _ = try next.step()
        let sequence = next.int64(0)
        let id = Secrets.token(prefix: "evt_")
        let event: JSONValue = ["id": .string(id), "object": "event", "type": .string(type), "created": .integer(now),
                                "sequence": .integer(sequence), "livemode": .bool(mode == "live"), "data": ["object": object]]
        let insert = try connection.statement("""
            INSERT INTO events(id, merchant_id, mode, created, type, object_id, sequence, data_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.bind(1, id)
        try insert.bind(2, merchantID)
        try insert.bind(3, mode)
        try insert.bind(4, now)
        try insert.bind(5, type)
        try insert.bind(6, objectID)
        try insert.bind(7, sequence)
        try insert.bind(8, event.text)
        _ = try insert.step()
        // The outbox: a delivery for every endpoint that wants this event, in the same transaction.
        let deliveries = try connection.statement("""
            INSERT INTO webhook_deliveries(event_id, endpoint_id, event_created, next_attempt_ms)
            SELECT ?, id, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM webhook_endpoints
            WHERE merchant_id = ? AND mode = ? AND (events = ',*,' OR \(connection.dialect.position)(events, ?) > 0)
            """)
        try deliveries.bind(1, id)
        try deliveries.bind(2, now)
        try deliveries.bind(3, now * 1_000)
        try deliveries.bind(4, merchantID)
        try deliveries.bind(5, mode)
        try deliveries.bind(6, "," + type + ",")
        _ = try deliveries.step()
    }

    /// Events newest first, as stored JSON texts.
    static func events(merchantID: String, mode: String, limit: Int, after: String?, on connection: any SQLConnection) throws -> [String] {
        var sql = "SELECT data_json FROM events WHERE merchant_id = ? AND mode = ?"
        let order = connection.dialect.insertionOrder
        if after != nil { sql += " AND \(order) < (SELECT \(order) FROM events WHERE id = ? AND merchant_id = ?)" }
        sql += " ORDER BY \(order) DESC LIMIT ?"
        let select = try connection.statement(sql)
        try select.bind(1, merchantID)
        try select.bind(2, mode)
        var index: Int32 = 3
        if let after {
            try select.bind(3, after)
            try select.bind(4, merchantID)
            index = 5
        }
        try select.bind(index, Int64(limit))
        var texts: [String] = []
        while try select.step() { texts.append(select.text(0) ?? "{}") }
        return texts
    }

    static func insertIdempotency(_ record: IdempotencyRecord, status: Int, body: [UInt8], now: Int64, on connection: any SQLConnection) throws {
        let insert = try connection.statement("""
            INSERT INTO idempotency_keys(merchant_id, mode, key, request_hash, status, body, created) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.bind(1, record.merchantID)
        try insert.bind(2, record.mode)
        try insert.bind(3, record.key)
        try insert.bind(4, record.requestHash)
        try insert.bind(5, Int64(status))
        try insert.bind(6, String(decoding: body, as: UTF8.self))
        try insert.bind(7, now)
        _ = try insert.step()
    }

    static func idempotency(merchantID: String, mode: String, key: String, on connection: any SQLConnection) throws -> (hash: String, status: Int, body: String)? {
        let select = try connection.statement("SELECT request_hash, status, body FROM idempotency_keys WHERE merchant_id = ? AND mode = ? AND key = ?")
        try select.bind(1, merchantID)
        try select.bind(2, mode)
        try select.bind(3, key)
        guard try select.step() else { return nil }
        return (select.text(0) ?? "", Int(select.int64(1)), select.text(2) ?? "")
    }

    /// Distinct currencies the merchant has charged in (for the balance).
    static func currencies(merchantID: String, mode: String, on connection: any SQLConnection) throws -> [String] {
        let select = try connection.statement("SELECT DISTINCT currency FROM charges WHERE merchant_id = ? AND mode = ? ORDER BY currency")
        try select.bind(1, merchantID)
        try select.bind(2, mode)
        var currencies: [String] = []
        while try select.step() { currencies.append(select.text(0) ?? "") }
        return currencies
    }

    private static func bind(_ charge: StoredCharge, to statement: any SQLStatement) throws {
        try statement.bind(1, charge.id)
        try statement.bind(2, charge.merchantID)
        try statement.bind(3, charge.mode)
        try statement.bind(4, charge.created)
        try statement.bind(5, charge.status)
        try statement.bind(6, charge.amount)
        try statement.bind(7, charge.amountCaptured)
        try statement.bind(8, charge.amountRefunded)
        try statement.bind(9, charge.fee)
        try statement.bind(10, charge.currency)
        try statement.bind(11, charge.paymentMethod)
        try bindOptional(statement, 12, charge.customer)
        try bindOptional(statement, 13, charge.description)
        try statement.bind(14, charge.captureOnApproval ? 1 : 0)
        try statement.bind(15, charge.metadataJSON)
        try statement.bind(16, charge.riskJSON)
        try bindOptional(statement, 17, charge.failureCode)
        try bindOptional(statement, 18, charge.failureMessage)
    }

    private static func bindOptional(_ statement: any SQLStatement, _ index: Int32, _ value: String?) throws {
        if let value { try statement.bind(index, value) } else { try statement.bindNull(index) }
    }

    private static func read(_ row: any SQLStatement) -> StoredCharge {
        StoredCharge(id: row.text(0) ?? "", merchantID: row.text(1) ?? "", mode: row.text(2) ?? "", created: row.int64(3),
                     status: row.text(4) ?? "", amount: row.int64(5), amountCaptured: row.int64(6), amountRefunded: row.int64(7),
                     fee: row.int64(8), currency: row.text(9) ?? "", paymentMethod: row.text(10) ?? "",
                     customer: row.isNull(11) ? nil : row.text(11), description: row.isNull(12) ? nil : row.text(12),
                     captureOnApproval: row.int64(13) != 0, metadataJSON: row.text(14) ?? "{}", riskJSON: row.text(15) ?? "{}",
                     failureCode: row.isNull(16) ? nil : row.text(16), failureMessage: row.isNull(17) ? nil : row.text(17))
    }
}

/// The Idempotency-Key of a request being handled: saved with the state change it made.
struct IdempotencyRecord: Sendable {
    let merchantID: String
    let mode: String
    let key: String
    let requestHash: String
}
