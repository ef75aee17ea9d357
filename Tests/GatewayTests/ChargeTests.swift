import Foundation
import HTTP
import Ledger
import Store
import Testing
import TollgateCore
@testable import Gateway

/// Charges through risk and the ledger: every transition, sandbox cards,
/// refunds, idempotency, concurrency; the ledger's invariants after each test.
@Suite("Charges and refunds")
struct ChargeTests {
    final class Shop {
        let fixture: GatewayTests.Fixture
        let merchant: (id: String, test: String, live: String)

        init(_ fixture: GatewayTests.Fixture? = nil) throws {
            self.fixture = try fixture ?? GatewayTests.Fixture()
            merchant = try self.fixture.createMerchant()
        }

        /// A shop on the backend, or nil when that backend is not available here.
        static func on(_ backend: GatewayBackend) throws -> Shop? {
            try GatewayTests.Fixture.on(backend).map { try Shop($0) }
        }

        func card(_ number: String = "4242424242424242") throws -> String {
            let created = fixture.call("POST", "/v1/payment_methods", key: merchant.test, body: PaymentMethodTests.card(number))
            return try #require(created.json["id"] as? String, "\(created.json)")
        }

        func charge(_ body: String, key: String? = nil) -> (status: Int, json: [String: Any]) {
            fixture.call("POST", "/v1/charges", key: merchant.test, body: body, idempotencyKey: key)
        }

        func post(_ path: String, _ body: String? = nil, key: String? = nil) -> (status: Int, json: [String: Any]) {
            fixture.call("POST", path, key: merchant.test, body: body, idempotencyKey: key)
        }

        func get(_ path: String) -> (status: Int, json: [String: Any]) { fixture.call("GET", path, key: merchant.test) }

        func verifyLedger() throws {
            let verification = try fixture.ledger.verify()
            #expect(verification.violations == [], "ledger invariants")
            #expect(try ChargeVerifier.violations(database: fixture.database, ledger: fixture.ledger) == [], "charges match their transfers")
        }
    }

    static func code(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }

    @Test(arguments: GatewayBackend.allCases) func captureNowMovesMoneyToTheMerchantLessTheFee(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        let charge = shop.charge(#"{"amount": 10000, "currency": "EUR", "payment_method": "\#(pm)"}"#)
        #expect(charge.status == 201, "\(charge.json)")
        #expect(charge.json["status"] as? String == "succeeded")
        #expect(charge.json["amount_captured"] as? Int == 10_000)
        #expect(charge.json["fee"] as? Int == 320, "2.9% + 30")
        #expect((charge.json["risk"] as? [String: Any])?["action"] as? String == "allow")
        let balance = shop.get("/v1/balance").json
        #expect((balance["available"] as? [[String: Any]])?.first?["amount"] as? Int == 9_680)
        #expect((balance["pending"] as? [[String: Any]])?.first?["amount"] as? Int == 0)
        let events = shop.get("/v1/events").json["data"] as? [[String: Any]] ?? []
        #expect(events.map { $0["type"] as? String } == ["charge.succeeded"])
        try shop.verifyLedger()
        // The charge's commit shows in the ledger's batch-size histogram.
        let metrics = shop.fixture.gateway.handle(HTTPRequest(method: "GET", path: "/metrics")).bodyText
        let batches = metrics.split(separator: "\n").first { $0.hasPrefix("tollgate_ledger_commit_batch_size_count ") }
        #expect(batches.flatMap { Int($0.split(separator: " ")[1]) }.map { $0 >= 1 } == true, "\(metrics)")
        #expect(metrics.contains("tollgate_ledger_commit_batch_size_bucket{le=\"+Inf\"}"))
    }

    @Test(arguments: GatewayBackend.allCases) func authorizeThenCapturePartThenRefund(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        let charge = shop.charge(#"{"amount": 5000, "payment_method": "\#(pm)", "capture": false}"#)
        #expect(charge.json["status"] as? String == "requires_capture")
        let id = try #require(charge.json["id"] as? String)
        #expect((shop.get("/v1/balance").json["pending"] as? [[String: Any]])?.first?["amount"] as? Int == 5_000)
        #expect(shop.post("/v1/charges/\(id)/capture", #"{"amount": 6000}"#).status == 400, "more than held")
        let captured = shop.post("/v1/charges/\(id)/capture", #"{"amount": 3000}"#)
        #expect(captured.status == 200, "\(captured.json)")
        #expect(captured.json["status"] as? String == "succeeded")
        #expect(captured.json["amount_captured"] as? Int == 3_000)
        #expect((shop.get("/v1/balance").json["pending"] as? [[String: Any]])?.first?["amount"] as? Int == 0, "the rest is released")
        #expect(Self.code(shop.post("/v1/charges/\(id)/capture").json) == "charge_succeeded", "twice is a 409")
        #expect(Self.code(shop.post("/v1/charges/\(id)/cancel").json) == "charge_succeeded")
        // Refunds come out of the merchant's available balance: fund it beyond this charge's net.
        _ = shop.charge(#"{"amount": 10000, "payment_method": "\#(pm)"}"#)
        // Refunds: partial, then the rest; never more than captured.
        let first = shop.post("/v1/refunds", #"{"charge": "\#(id)", "amount": 1000, "reason": "requested_by_customer"}"#)
        #expect(first.status == 201, "\(first.json)")
        #expect((first.json["id"] as? String)?.hasPrefix("re_") == true)
        #expect(shop.post("/v1/refunds", #"{"charge": "\#(id)", "amount": 2500}"#).status == 400, "2,000 left")
        #expect(shop.post("/v1/refunds", #"{"charge": "\#(id)"}"#).status == 201, "the rest")
        #expect(shop.post("/v1/refunds", #"{"charge": "\#(id)", "amount": 1}"#).status == 400)
        // Without a balance to pay it from, a refund is refused and nothing changes.
        let other = try shop.fixture.createMerchant("Thin")
        let thinCard = try #require(shop.fixture.call("POST", "/v1/payment_methods", key: other.test, body: PaymentMethodTests.card("4242424242424242")).json["id"] as? String)
        let thinCharge = try #require(shop.fixture.call("POST", "/v1/charges", key: other.test, body: #"{"amount": 1000, "payment_method": "\#(thinCard)"}"#).json["id"] as? String)
        let refused = shop.fixture.call("POST", "/v1/refunds", key: other.test, body: #"{"charge": "\#(thinCharge)"}"#)
        #expect(Self.code(refused.json) == "balance_insufficient", "1,000 captured, 941 net: a full refund exceeds the balance")
        #expect(shop.fixture.call("GET", "/v1/charges/\(thinCharge)", key: other.test).json["amount_refunded"] as? Int == 0)
        let final = shop.get("/v1/charges/\(id)").json
        #expect(final["amount_refunded"] as? Int == 3_000)
        #expect(final["status"] as? String == "succeeded")
        let refundID = try #require(first.json["id"] as? String)
        #expect(shop.get("/v1/refunds/\(refundID)").json["amount"] as? Int == 1_000)
        let events = (shop.get("/v1/events?limit=100").json["data"] as? [[String: Any]] ?? []).filter {
            (($0["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String == id
        }
        #expect(events.compactMap { $0["type"] as? String } == ["charge.refunded", "charge.refunded", "charge.succeeded", "charge.captured", "charge.authorized"])
        #expect(events.compactMap { $0["sequence"] as? Int } == [5, 4, 3, 2, 1], "numbered per object")
        try shop.verifyLedger()
    }

    @Test func verifyCatchesAChargeThatDisagreesWithItsTransfers() throws {
        let shop = try Shop()
        let pm = try shop.card()
        let id = try #require(shop.charge(#"{"amount": 4000, "payment_method": "\#(pm)"}"#).json["id"] as? String)
        try shop.verifyLedger()
        let path = shop.fixture.directory.appendingPathComponent("tollgate.db").path
        let connection = try SQLiteConnection(path: path)
        try connection.execute("UPDATE charges SET amount_captured = amount_captured - 1 WHERE id = '\(id)'")
        let problems = try ChargeVerifier.violations(database: .sqlite(path: path), ledger: shop.fixture.ledger)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("3999 captured, the ledger posted 4000") == true, "\(problems)")
    }

    @Test(arguments: GatewayBackend.allCases) func cancelReleasesTheHold(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        let id = try #require(shop.charge(#"{"amount": 700, "payment_method": "\#(pm)", "capture": false}"#).json["id"] as? String)
        let canceled = shop.post("/v1/charges/\(id)/cancel")
        #expect(canceled.json["status"] as? String == "canceled")
        #expect(Self.code(shop.post("/v1/charges/\(id)/capture").json) == "charge_canceled")
        #expect(Self.code(shop.post("/v1/refunds", #"{"charge": "\#(id)"}"#).json) == "charge_canceled")
        #expect((shop.get("/v1/balance").json["pending"] as? [[String: Any]])?.first?["amount"] as? Int == 0)
        try shop.verifyLedger()
    }

    @Test("sandbox cards drive the issuer", arguments: [
        ("4000000000000002", "card_declined"), ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"), ("4000000000000119", "processing_error"),
    ])
    func sandboxDeclines(number: String, code: String) throws {
        let shop = try Shop()
        let pm = try shop.card(number)
        let declined = shop.charge(#"{"amount": 1500, "payment_method": "\#(pm)"}"#)
        #expect(declined.status == 402)
        let error = try #require(declined.json["error"] as? [String: Any])
        #expect(error["type"] as? String == "card_error")
        #expect(error["code"] as? String == code)
        let id = try #require(error["charge"] as? String)
        let stored = shop.get("/v1/charges/\(id)").json
        #expect(stored["status"] as? String == "declined", "a declined charge is stored")
        #expect(stored["failure_code"] as? String == code)
        #expect((shop.get("/v1/charges?status=declined").json["data"] as? [[String: Any]])?.count == 1, "and listed")
        try shop.verifyLedger()
    }

    @Test(arguments: GatewayBackend.allCases) func theDisputingCardRaisesADisputeAndTeachesTheCounters(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card("4000000000000259")
        let charge = shop.charge(#"{"amount": 2000, "payment_method": "\#(pm)"}"#)
        #expect(charge.json["status"] as? String == "succeeded")
        let types = (shop.get("/v1/events").json["data"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
        #expect(types.contains("charge.dispute.created"))
        // The card's chargeback now blocks it (the test rules: known_bad_card).
        let again = shop.charge(#"{"amount": 2000, "payment_method": "\#(pm)"}"#)
        #expect(again.status == 402)
        #expect(Self.code(again.json) == "risk_blocked")
    }

    @Test(arguments: GatewayBackend.allCases) func reviewThenApproveOrReject(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        // The test rules send amounts over 1,000.00 to review.
        let body = #"{"amount": 150000, "currency": "EUR", "payment_method": "\#(pm)"}"#
        let first = shop.charge(body)
        #expect(first.json["status"] as? String == "requires_review", "\(first.json)")
        let firstID = try #require(first.json["id"] as? String)
        #expect(Self.code(shop.post("/v1/charges/\(firstID)/capture").json) == "charge_requires_review")
        let approved = shop.post("/v1/charges/\(firstID)/approve")
        #expect(approved.json["status"] as? String == "succeeded")
        #expect(Self.code(shop.post("/v1/charges/\(firstID)/approve").json) == "charge_succeeded")
        let second = shop.charge(body)
        let secondID = try #require(second.json["id"] as? String)
        #expect(shop.post("/v1/charges/\(secondID)/reject").json["status"] as? String == "canceled")
        try shop.verifyLedger()
    }

    @Test(arguments: GatewayBackend.allCases) func idempotencyKeys(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        let body = #"{"amount": 1234, "payment_method": "\#(pm)"}"#
        let first = shop.charge(body, key: "order-17")
        let again = shop.charge(body, key: "order-17")
        #expect(first.status == 201 && again.status == 201)
        #expect(first.json["id"] as? String == again.json["id"] as? String, "the stored answer, not a second charge")
        #expect((shop.get("/v1/charges").json["data"] as? [[String: Any]])?.count == 1)
        let reused = shop.charge(#"{"amount": 999, "payment_method": "\#(pm)"}"#, key: "order-17")
        #expect(reused.status == 422)
        #expect(Self.code(reused.json) == "idempotency_key_reused")
        // Keys are per merchant: another merchant may use the same one.
        let other = try shop.fixture.createMerchant("Other")
        let otherCard = shop.fixture.call("POST", "/v1/payment_methods", key: other.test, body: PaymentMethodTests.card("4242424242424242"))
        let otherPM = try #require(otherCard.json["id"] as? String)
        #expect(shop.fixture.call("POST", "/v1/charges", key: other.test, body: #"{"amount": 1234, "payment_method": "\#(otherPM)"}"#,
                                  idempotencyKey: "order-17").status == 201)
        // A declined charge's 402 is replayed too.
        let declinedCard = try shop.card("4000000000000002")
        let declineBody = #"{"amount": 50, "payment_method": "\#(declinedCard)"}"#
        let declined = shop.charge(declineBody, key: "order-18")
        let declinedAgain = shop.charge(declineBody, key: "order-18")
        #expect(declined.status == 402 && declinedAgain.status == 402)
        #expect((declined.json["error"] as? [String: Any])?["charge"] as? String == (declinedAgain.json["error"] as? [String: Any])?["charge"] as? String)
        #expect(shop.charge(body, key: String(repeating: "k", count: 256)).status == 400)
        // Kept for the retention (at least 24 hours), then swept: the key is new again.
        shop.fixture.clock.advance(shop.fixture.gateway.configuration.idempotencyRetentionSeconds - 1)
        #expect(shop.fixture.gateway.expireIdempotencyKeys() == 0)
        #expect(shop.charge(body, key: "order-17").json["id"] as? String == first.json["id"] as? String, "still kept")
        shop.fixture.clock.advance(2)
        #expect(shop.fixture.gateway.expireIdempotencyKeys() == 3, "order-17 of both merchants and order-18")
        let fresh = shop.charge(#"{"amount": 999, "payment_method": "\#(pm)"}"#, key: "order-17")
        #expect(fresh.status == 201 && fresh.json["id"] as? String != first.json["id"] as? String)
    }

    @Test(arguments: GatewayBackend.allCases) func anotherMerchantsChargesAre404(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        let id = try #require(shop.charge(#"{"amount": 100, "payment_method": "\#(pm)"}"#).json["id"] as? String)
        let other = try shop.fixture.createMerchant("Other")
        #expect(shop.fixture.call("GET", "/v1/charges/\(id)", key: other.test).status == 404)
        #expect(shop.fixture.call("POST", "/v1/charges/\(id)/cancel", key: other.test).status == 404)
        #expect(shop.fixture.call("POST", "/v1/refunds", key: other.test, body: #"{"charge": "\#(id)"}"#).status == 404)
        #expect(shop.fixture.call("GET", "/v1/charges/\(id)", key: shop.merchant.live).status == 404, "test objects are not live ones")
        #expect(shop.fixture.call("POST", "/v1/charges", key: other.test, body: #"{"amount": 100, "payment_method": "\#(pm)"}"#).status == 404,
                "another merchant's card")
    }

    @Test("bad charge bodies", arguments: [
        (#"{"payment_method": "pm_x"}"#, "parameter_missing", "amount"),
        (#"{"amount": 0, "payment_method": "pm_x"}"#, "parameter_invalid", "amount"),
        (#"{"amount": -5, "payment_method": "pm_x"}"#, "parameter_invalid", "amount"),
        (#"{"amount": 10.5, "payment_method": "pm_x"}"#, "parameter_invalid", "amount"),
        (#"{"amount": 100, "currency": "usd", "payment_method": "pm_x"}"#, "parameter_invalid", "currency"),
        (#"{"amount": 100, "payment_method": "pm_x"}"#, "resource_missing", "payment_method"),
        (#"{"amount": 100, "payment_method": "pm_x", "tip": 5}"#, "parameter_unknown", "tip"),
        (#"{"amount": 100, "payment_method": "pm_x", "capture": "yes"}"#, "parameter_invalid", "capture"),
    ])
    func badChargeBodies(body: String, code: String, param: String) throws {
        let shop = try Shop()
        let answer = shop.charge(body)
        #expect(Self.code(answer.json) == code, "\(answer.json)")
        #expect((answer.json["error"] as? [String: Any])?["param"] as? String == param)
        #expect((shop.get("/v1/charges").json["data"] as? [[String: Any]])?.isEmpty == true, "nothing stored")
    }

    @Test(arguments: GatewayBackend.allCases) func sixteenClientsCaptureAndRefundTheSameCharges(backend: GatewayBackend) throws {
        guard let shop = try Shop.on(backend) else { return }
        let pm = try shop.card()
        var ids: [String] = []
        for _ in 0..<6 {
            let charge = shop.charge(#"{"amount": 1000, "payment_method": "\#(pm)", "capture": false}"#).json
            let id = try #require(charge["id"] as? String)
            // The test rules send a card's fourth payment within the hour to review: approve it (capture stays manual).
            if charge["status"] as? String == "requires_review" {
                #expect(shop.post("/v1/charges/\(id)/approve").json["status"] as? String == "requires_capture")
            }
            ids.append(id)
        }
        // A merchant balance to refund from beyond these charges' net amounts.
        let funding = try #require(shop.charge(#"{"amount": 100000, "payment_method": "\#(pm)"}"#).json["id"] as? String)
        if shop.get("/v1/charges/\(funding)").json["status"] as? String == "requires_review" { _ = shop.post("/v1/charges/\(funding)/approve") }
        let fixture = shop.fixture, key = shop.merchant.test
        let captures = ResultCounter(), refunds = ResultCounter()
        let chargeIDs = ids
        ParallelThreads.run(count: 16) { thread in
            for id in chargeIDs {
                let capture = fixture.call("POST", "/v1/charges/\(id)/capture", key: key)
                if capture.status == 200 { captures.add() }
                for _ in 0..<3 {
                    let refund = fixture.call("POST", "/v1/refunds", key: key, body: #"{"charge": "\#(id)", "amount": 150}"#)
                    if refund.status == 201 { refunds.add() }
                }
            }
        }
        #expect(captures.value == 6, "each charge captured exactly once")
        #expect(refunds.value == 6 * 6, "1,000 allows six refunds of 150, never a seventh")
        for id in ids {
            let charge = shop.get("/v1/charges/\(id)").json
            #expect(charge["amount_captured"] as? Int == 1_000)
            #expect(charge["amount_refunded"] as? Int == 900)
        }
        try shop.verifyLedger()
    }
}

final class ResultCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
