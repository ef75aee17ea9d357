import Foundation
import Ledger
import Store

/// The check `tollgate ledger verify` adds once charges exist: every charge's
/// captured and refunded amounts equal its transfers in the ledger, and its
/// hold's state matches its status.
public enum ChargeVerifier {
    public static func violations(database: GatewayDatabase, ledger: Ledger) throws -> [String] {
        let connection: any SQLConnection
        switch database {
        case .sqlite(let path): connection = try SQLiteConnection(path: path)
        case .postgres(let url): connection = try PostgresConnection(url: url)
        }
        let exists = try connection.statement(connection.dialect.tableExistsSQL)
        try exists.bind(1, "charges")
        guard try exists.step() else { return [] }
        var problems: [String] = []
        var refunded: [String: Int64] = [:]
        let refunds = try connection.statement("SELECT id, charge_id, amount FROM refunds")
        while try refunds.step() {
            let id = refunds.text(0) ?? "", charge = refunds.text(1) ?? "", amount = refunds.int64(2)
            refunded[charge, default: 0] += amount
            let transfer = try ledger.transfer(id: LedgerAccounts.transfer(id, "refund"))
            if transfer?.amount != amount {
                problems.append("refund \(id) of \(charge): \(amount) recorded, the ledger's transfer is \(transfer.map { String($0.amount) } ?? "missing")")
            }
        }
        let charges = try connection.statement("SELECT id, status, amount_captured, amount_refunded FROM charges")
        while try charges.step() {
            let id = charges.text(0) ?? "", status = charges.text(1) ?? ""
            let captured = charges.int64(2), chargeRefunded = charges.int64(3)
            let hold = try ledger.transfer(id: LedgerAccounts.transfer(id, "hold"))
            let capture = try ledger.transfer(id: LedgerAccounts.transfer(id, "capture"))
            if (capture?.amount ?? 0) != captured {
                problems.append("charge \(id): \(captured) captured, the ledger posted \(capture.map { String($0.amount) } ?? "nothing")")
            }
            if chargeRefunded != refunded[id, default: 0] {
                problems.append("charge \(id): \(chargeRefunded) refunded, its refunds sum to \(refunded[id, default: 0])")
            }
            switch status {
            case "requires_capture", "requires_review":
                if hold == nil { problems.append("charge \(id) is \(status) but has no hold") }
            case "declined", "requires_action":
                if hold != nil { problems.append("charge \(id) is \(status) but has a hold") }
            default:
                break
            }
        }
        return problems
    }
}
