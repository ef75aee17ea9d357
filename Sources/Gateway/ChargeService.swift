import Foundation
import HTTP
import Ledger
import Rules
import Store
import TollgateCore

/// Charges and refunds: risk decision, simulated issuer (test mode), and the
/// ledger. Every state change is one ledger submission whose attachment
/// re-reads the charge inside the transaction, checks the transition, and
/// writes the charge, its event and the idempotency record: all commit with
/// the transfers, or nothing does.
final class ChargeService: @unchecked Sendable {
    static let holdSeconds: UInt32 = 7 * 86_400
    static let amountMax: Int64 = 100_000_000_000

    let store: GatewayStore
    let accounts: LedgerAccounts
    let decisions: DecisionService
    let vault: CardVault

    init(store: GatewayStore, accounts: LedgerAccounts, decisions: DecisionService, vault: CardVault) {
        self.store = store
        self.accounts = accounts
        self.decisions = decisions
        self.vault = vault
    }

    /// One ledger submission whose `rows` run inside its database transaction on
    /// the writer's connection: they write the state change and return the answer,
    /// which is saved under the Idempotency-Key in the same transaction; or they
    /// throw the `APIError` that refuses it, and nothing of it commits.
    private func commit(_ transfers: [Transfer], idempotency: IdempotencyRecord?, now: Int64,
                        _ rows: @escaping @Sendable (any SQLConnection, [TransferResult]) throws -> (Int, JSONValue)) throws(APIError) -> HTTPResponse {
        final class Outcome: @unchecked Sendable {
            var answer: (status: Int, body: JSONValue) = (200, nil)
            var refusal: APIError?
        }
        let outcome = Outcome()
        do throws(LedgerError) {
            _ = try accounts.ledger.createTransfers(transfers) { database, results in
                let connection = database.connection
                do {
                    outcome.answer = try rows(connection, results)
                } catch let refusal as APIError {
                    outcome.refusal = refusal  // the ledger passes on only its text
                    throw refusal
                }
                if let idempotency {
                    try ChargeRows.insertIdempotency(idempotency, status: outcome.answer.status, body: outcome.answer.body.encoded(),
                                                     now: now, on: connection)
                }
            }
        } catch {
            throw outcome.refusal ?? LedgerAccounts.apiError(error)
        }
        return .json(outcome.answer.status, outcome.answer.body)
    }

    // MARK: create

    func create(_ body: JSONBody, merchant: Merchant, mode: String, idempotency: IdempotencyRecord?, now: Int64) throws(APIError) -> HTTPResponse {
        try body.onlyKnown(["amount", "currency", "payment_method", "capture", "customer", "email", "ip", "device", "description", "metadata"])
        let amount = try body.integer("amount", required: true)!
        guard amount > 0, amount <= Self.amountMax else { throw APIError.invalid("amount", "'amount' must be 1 to \(Self.amountMax) minor units") }
        let currencyCode = try body.string("currency") ?? merchant.currency
        guard let currency = Currency(code: currencyCode), currencyCode == currencyCode.uppercased() else {
            throw APIError.invalid("currency", "'currency' must be an upper-case ISO 4217 code")
        }
        let paymentMethodID = try body.string("payment_method", required: true, maxLength: 100)!
        let capture = try body.bool("capture") ?? true
        let description = try body.string("description", maxLength: 1_000)
        guard let method = try? store.paymentMethod(id: paymentMethodID, merchantID: merchant.id), method.mode == mode else {
            throw APIError.notFound("payment method", paymentMethodID, param: "payment_method")
        }
        // Facts for the rules: the decision API's vocabulary, plus the card from the vault's row.
        var factsObject = body.object.filter { ["customer", "ip", "device", "metadata"].contains($0.key) }
        factsObject["amount"] = NSNumber(value: amount)
        factsObject["currency"] = currencyCode
        if let email = try body.string("email", maxLength: 320) { factsObject["customer.email"] = email }
        var facts = try DecisionService.facts(from: JSONBody(object: factsObject, path: ""), merchant: merchant, now: now, geoIP: decisions.geoIP)
        facts.values["card"] = .string(method.fingerprint)
        facts.values["card.bin"] = .string(method.bin)
        facts.values["card.last4"] = .string(method.last4)
        facts.values["card.brand"] = .string(method.brand)
        facts.values["merchant"] = .string(merchant.id)
        if let packed = CountryCode.pack(merchant.country) { facts.values["merchant.country"] = .word(packed) }
        let (assessment, shadow) = decisions.assessForMerchant(facts, merchantID: merchant.id, mode: mode)
        let metadata = JSONValue.object((try? body.child("metadata"))??.object.compactMap { key, value in
            (value as? String).map { (key, JSONValue.string($0)) }
        }.sorted { $0.0 < $1.0 } ?? [])
        var charge = StoredCharge(
            id: Secrets.token(prefix: "ch_"), merchantID: merchant.id, mode: mode, created: now, status: "requires_capture", amount: amount,
            currency: currencyCode, paymentMethod: method.id, customer: try body.string("customer", maxLength: 200),
            description: description, captureOnApproval: capture, metadataJSON: metadata.text,
            riskJSON: (shadow.map { assessment.riskJSON(ruleSet: assessment.ruleSet).setting("shadow", $0.riskJSON(ruleSet: $0.ruleSet)) }
                       ?? assessment.riskJSON(ruleSet: assessment.ruleSet)).text)
        // What happens: the rules first, then (test mode) the simulated issuer.
        var issuerOutcome = "approve"
        if mode == "test", let pan = try? vault.decrypt(method.sealedNumber, associatedData: method.id) {
            issuerOutcome = CardNumber.sandbox[String(decoding: pan, as: UTF8.self)] ?? "approve"
        }
        var transfers: [Transfer] = []
        switch assessment.evaluation.action {
        case .block:
            charge.status = "declined"
            charge.failureCode = "risk_blocked"
            charge.failureMessage = "the payment was blocked by the risk rules"
        case _ where ["card_declined", "insufficient_funds", "expired_card", "processing_error"].contains(issuerOutcome):
            charge.status = "declined"
            charge.failureCode = issuerOutcome
            charge.failureMessage = Self.issuerMessages[issuerOutcome]
        case .challenge:
            charge.status = "requires_action"
        case .review:
            charge.status = "requires_review"
            transfers = [hold(charge)]
        case .allow:
            transfers = [hold(charge)]
            if capture {
                charge.fee = Self.fee(amount, merchant: merchant)
                transfers[0].isLinked = true
                transfers += captureTransfers(charge, amount: amount, fee: charge.fee)
                charge.status = "succeeded"
                charge.amountCaptured = amount
            }
        }
        try accounts.ensure(merchantID: merchant.id, mode: mode, currency: currency)
        let finalCharge = charge
        let eventType = Self.eventType(for: finalCharge.status)
        let response = try commit(transfers, idempotency: idempotency, now: now) { connection, results in
            guard results.allSatisfy({ $0 == .created }) else {
                throw APIError(500, type: "api_error", code: "ledger_rejected", "the ledger refused the charge: \(results)")
            }
            try ChargeRows.insert(finalCharge, on: connection)
            try ChargeRows.insertEvent(type: eventType, object: finalCharge.json, objectID: finalCharge.id, merchantID: merchant.id,
                                       mode: mode, now: now, on: connection)
            return finalCharge.status == "declined" ? (402, Self.declineError(finalCharge)) : (201, finalCharge.json)
        }
        decisions.learn(assessment, shadow: shadow, outcome: finalCharge.status == "declined" ? "declined" : "authorized")
        if issuerOutcome == "dispute" && finalCharge.status == "succeeded" {
            dispute(finalCharge, values: assessment.values, exponent: assessment.record.currencyExponent, now: now)
        }
        return response
    }

    static let issuerMessages = [
        "card_declined": "the card was declined",
        "insufficient_funds": "the card has insufficient funds",
        "expired_card": "the card has expired",
        "processing_error": "the issuer could not process the payment; retry",
    ]

    static func eventType(for status: String) -> String {
        switch status {
        case "declined": "charge.failed"
        case "requires_review": "charge.review.opened"
        case "requires_action": "charge.requires_action"
        case "requires_capture": "charge.authorized"
        case "succeeded": "charge.succeeded"
        default: "charge.updated"
        }
    }

    static func declineError(_ charge: StoredCharge) -> JSONValue {
        ["error": ["type": "card_error", "code": .optional(charge.failureCode), "message": .optional(charge.failureMessage),
                   "param": nil, "charge": .string(charge.id)]]
    }


    /// Fee at capture: basis points of the amount (rounded down) plus the fixed part, never more than the amount.
    static func fee(_ amount: Int64, merchant: Merchant) -> Int64 {
        let (product, overflow) = amount.multipliedReportingOverflow(by: merchant.feeBasisPoints)
        let percent = overflow ? amount : product / 10_000
        return min(amount, percent + merchant.feeFixedMinor)
    }

    private func hold(_ charge: StoredCharge) -> Transfer {
        Transfer(id: LedgerAccounts.transfer(charge.id, "hold"), debitAccountID: LedgerAccounts.funding(charge.mode, charge.currency),
                 creditAccountID: LedgerAccounts.merchantPending(charge.merchantID, charge.mode, charge.currency), amount: charge.amount,
                 currency: Currency(code: charge.currency), kind: .pending, timeoutSeconds: Self.holdSeconds)
    }

    /// Post `amount` of the hold, then move it on: the merchant's net to available, the fee to the gateway. Linked.
    private func captureTransfers(_ charge: StoredCharge, amount: Int64, fee: Int64) -> [Transfer] {
        let currency = Currency(code: charge.currency)
        let pending = LedgerAccounts.merchantPending(charge.merchantID, charge.mode, charge.currency)
        var transfers = [Transfer(id: LedgerAccounts.transfer(charge.id, "capture"), amount: amount, kind: .postPending,
                                  pendingID: LedgerAccounts.transfer(charge.id, "hold"), isLinked: true)]
        if amount - fee > 0 {
            transfers.append(Transfer(id: LedgerAccounts.transfer(charge.id, "net"), debitAccountID: pending,
                                      creditAccountID: LedgerAccounts.merchantAvailable(charge.merchantID, charge.mode, charge.currency),
                                      amount: amount - fee, currency: currency, isLinked: true))
        }
        if fee > 0 {
            transfers.append(Transfer(id: LedgerAccounts.transfer(charge.id, "fee"), debitAccountID: pending,
                                      creditAccountID: LedgerAccounts.fees(charge.mode, charge.currency), amount: fee, currency: currency, isLinked: true))
        }
        transfers[transfers.count - 1].isLinked = false
        return transfers
    }

    // MARK: transitions

    /// Applies `transition` to a charge: `plan` (outside the transaction) says which
    /// transfers to submit; `apply` (inside it, on the re-read charge) checks the
    /// state and returns the new charge and its event types.
    private func change(_ chargeID: String, merchant: Merchant, mode: String, idempotency: IdempotencyRecord?, now: Int64,
                        transfers: (StoredCharge) throws(APIError) -> [Transfer],
                        apply: @escaping @Sendable (StoredCharge, [TransferResult]) throws(APIError) -> (StoredCharge, [String])) throws(APIError) -> HTTPResponse {
        guard let current = try? store.withConnection({ try ChargeRows.charge(id: chargeID, merchantID: merchant.id, mode: mode, on: $0) }) else {
            throw APIError.notFound("charge", chargeID)
        }
        let planned = try transfers(current)
        if let currency = Currency(code: current.currency) { try accounts.ensure(merchantID: merchant.id, mode: mode, currency: currency) }
        return try commit(planned, idempotency: idempotency, now: now) { connection, results in
            guard let fresh = try ChargeRows.charge(id: chargeID, merchantID: merchant.id, mode: mode, on: connection) else {
                throw APIError.notFound("charge", chargeID)
            }
            let (updated, events) = try apply(fresh, results)
            try ChargeRows.update(updated, on: connection)
            for type in events {
                try ChargeRows.insertEvent(type: type, object: updated.json, objectID: updated.id, merchantID: merchant.id,
                                           mode: mode, now: now, on: connection)
            }
            return (200, updated.json)
        }
    }

    static func conflict(_ charge: StoredCharge, _ action: String) -> APIError {
        APIError(409, code: "charge_\(charge.status)", "cannot \(action) a charge that is \(charge.status)")
    }

    static func requireCreated(_ results: [TransferResult], _ charge: StoredCharge) throws(APIError) {
        if results.contains(.pendingTransferExpired) {
            throw APIError(409, code: "charge_expired", "the authorization of \(charge.id) expired after 7 days; create a new charge")
        }
        guard results.allSatisfy({ $0 == .created }) else {
            throw APIError(409, code: "ledger_refused", "the ledger refused the change: \(results.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// What a capture decided before the transaction, for its attachment.
    final class CapturePlan: @unchecked Sendable {
        var amount: Int64 = 0
        var fee: Int64 = 0
    }

    func capture(_ chargeID: String, body: JSONBody, merchant: Merchant, mode: String, idempotency: IdempotencyRecord?, now: Int64) throws(APIError) -> HTTPResponse {
        try body.onlyKnown(["amount"])
        let requested = try body.integer("amount")
        let plan = CapturePlan()
        return try change(chargeID, merchant: merchant, mode: mode, idempotency: idempotency, now: now, transfers: { (charge) throws(APIError) in
            guard charge.status == "requires_capture" else { throw Self.conflict(charge, "capture") }
            plan.amount = requested ?? charge.amount
            guard plan.amount > 0, plan.amount <= charge.amount else {
                throw APIError.invalid("amount", "'amount' must be 1 to \(charge.amount), what the authorization holds")
            }
            plan.fee = Self.fee(plan.amount, merchant: merchant)
            return self.captureTransfers(charge, amount: plan.amount, fee: plan.fee)
        }, apply: { (charge, results) throws(APIError) in
            guard charge.status == "requires_capture" else { throw Self.conflict(charge, "capture") }
            try Self.requireCreated(results, charge)
            var updated = charge
            updated.status = "succeeded"
            updated.amountCaptured = plan.amount
            updated.fee = plan.fee
            return (updated, ["charge.captured", "charge.succeeded"])
        })
    }

    func cancel(_ chargeID: String, merchant: Merchant, mode: String, idempotency: IdempotencyRecord?, now: Int64, rejecting: Bool = false) throws(APIError) -> HTTPResponse {
        let allowed: Set<String> = rejecting ? ["requires_review"] : ["requires_capture", "requires_review", "requires_action"]
        let verb = rejecting ? "reject" : "cancel"
        return try change(chargeID, merchant: merchant, mode: mode, idempotency: idempotency, now: now, transfers: { (charge) throws(APIError) in
            guard allowed.contains(charge.status) else { throw Self.conflict(charge, verb) }
            guard charge.status != "requires_action" else { return [] }  // no hold was placed
            return [Transfer(id: LedgerAccounts.transfer(charge.id, "void"), amount: 0, kind: .voidPending,
                             pendingID: LedgerAccounts.transfer(charge.id, "hold"))]
        }, apply: { (charge, results) throws(APIError) in
            guard allowed.contains(charge.status) else { throw Self.conflict(charge, verb) }
            // An expired hold is already released: the cancel still stands.
            guard results.allSatisfy({ $0 == .created || $0 == .pendingTransferExpired }) else { try Self.requireCreated(results, charge); return (charge, []) }
            var updated = charge
            updated.status = "canceled"
            return (updated, rejecting ? ["charge.review.closed", "charge.canceled"] : ["charge.canceled"])
        })
    }

    func approve(_ chargeID: String, merchant: Merchant, mode: String, idempotency: IdempotencyRecord?, now: Int64) throws(APIError) -> HTTPResponse {
        let plan = CapturePlan()
        return try change(chargeID, merchant: merchant, mode: mode, idempotency: idempotency, now: now, transfers: { (charge) throws(APIError) in
            guard charge.status == "requires_review" else { throw Self.conflict(charge, "approve") }
            guard charge.captureOnApproval else { return [] }
            plan.fee = Self.fee(charge.amount, merchant: merchant)
            return self.captureTransfers(charge, amount: charge.amount, fee: plan.fee)
        }, apply: { (charge, results) throws(APIError) in
            let fee = plan.fee
            guard charge.status == "requires_review" else { throw Self.conflict(charge, "approve") }
            try Self.requireCreated(results, charge)
            var updated = charge
            if charge.captureOnApproval {
                updated.status = "succeeded"
                updated.amountCaptured = charge.amount
                updated.fee = fee
                return (updated, ["charge.review.closed", "charge.succeeded"])
            }
            updated.status = "requires_capture"
            return (updated, ["charge.review.closed", "charge.authorized"])
        })
    }

    // MARK: refunds

    func refund(_ body: JSONBody, merchant: Merchant, mode: String, idempotency: IdempotencyRecord?, now: Int64) throws(APIError) -> HTTPResponse {
        try body.onlyKnown(["charge", "amount", "reason"])
        let chargeID = try body.string("charge", required: true, maxLength: 100)!
        let requested = try body.integer("amount")
        let reason = try body.string("reason", maxLength: 200)
        if let reason, !["duplicate", "fraudulent", "requested_by_customer"].contains(reason) {
            throw APIError.invalid("reason", "'reason' must be duplicate, fraudulent or requested_by_customer")
        }
        guard let charge = try? store.withConnection({ try ChargeRows.charge(id: chargeID, merchantID: merchant.id, mode: mode, on: $0) }) else {
            throw APIError.notFound("charge", chargeID, param: "charge")
        }
        guard charge.status == "succeeded" else { throw Self.conflict(charge, "refund") }
        let remaining = charge.amountCaptured - charge.amountRefunded
        let amount = requested ?? remaining
        guard amount > 0, amount <= remaining else {
            throw APIError.invalid("amount", remaining == 0 ? "the charge is fully refunded" : "'amount' must be 1 to \(remaining), what is left to refund")
        }
        let refund = StoredRefund(id: Secrets.token(prefix: "re_"), chargeID: charge.id, merchantID: merchant.id, mode: mode,
                                  created: now, amount: amount, reason: reason, status: "succeeded")
        let transfer = Transfer(id: LedgerAccounts.transfer(refund.id, "refund"),
                                debitAccountID: LedgerAccounts.merchantAvailable(merchant.id, mode, charge.currency),
                                creditAccountID: LedgerAccounts.funding(mode, charge.currency), amount: amount,
                                currency: Currency(code: charge.currency))
        return try commit([transfer], idempotency: idempotency, now: now) { connection, results in
            // Re-read: another refund may have committed since the check above.
            guard var fresh = try ChargeRows.charge(id: chargeID, merchantID: merchant.id, mode: mode, on: connection) else {
                throw APIError.notFound("charge", chargeID, param: "charge")
            }
            guard fresh.amountRefunded + amount <= fresh.amountCaptured else {
                throw APIError(409, code: "refund_exceeds_captured",
                               "only \(fresh.amountCaptured - fresh.amountRefunded) is left to refund", param: "amount")
            }
            guard results == [.created] else {
                let code = results.first == .exceedsCredits ? "balance_insufficient" : "ledger_refused"
                throw APIError(409, code: code, "the refund cannot be paid from the merchant's balance: \(results.map(\.rawValue))")
            }
            fresh.amountRefunded += amount
            try ChargeRows.update(fresh, on: connection)
            try ChargeRows.insert(refund, on: connection)
            try ChargeRows.insertEvent(type: "charge.refunded", object: fresh.json, objectID: fresh.id, merchantID: merchant.id,
                                       mode: mode, now: now, on: connection)
            return (201, refund.json)
        }
    }

    // MARK: disputes (sandbox)

    /// The sandbox's disputing card: a chargeback arrives for the charge (event
    /// `charge.dispute.created`) and counters learn the `chargeback` outcome.
    private func dispute(_ charge: StoredCharge, values: [String: DecisionService.FactValue], exponent: Int, now: Int64) {
        _ = try? accounts.ledger.createTransfers([]) { database, _ in
            try ChargeRows.insertEvent(type: "charge.dispute.created", object: charge.json, objectID: charge.id,
                                       merchantID: charge.merchantID, mode: charge.mode, now: now, on: database.connection)
        }
        decisions.learnLater(values: values, currencyExponent: exponent, outcome: "chargeback", merchantID: charge.merchantID,
                             mode: charge.mode, now: now)
    }
}

extension LedgerDatabase {
    /// The ledger writer's connection, for rows written in its transaction.
    var connection: any SQLConnection {
        switch self {
        case .sqlite(let connection): connection
        case .postgres(let connection): connection
        }
    }
}
