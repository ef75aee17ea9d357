import Foundation
import HTTP
import Ledger
import Store
import Rules
import Testing
@testable import Gateway

/// The two databases the gateway runs on. PostgreSQL tests use a fresh schema
/// of the server `make test` starts; without it they skip (or fail under `make test`).
enum GatewayBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A URL for a new, empty schema; nil when there is no test server here.
    static func freshPostgresURL() throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["TOLLGATE_TEST_POSTGRES_URL"] else {
            if environment["TOLLGATE_REQUIRE_SERVERS"] == "1" { Issue.record("TOLLGATE_TEST_POSTGRES_URL is not set") }
            print("skipping PostgreSQL: TOLLGATE_TEST_POSTGRES_URL is not set (run the tests through `make test`)")
            return nil
        }
        let schema = "g_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try PostgresConnection(url: base).execute("CREATE SCHEMA \(schema)")
        return base + "?options=-csearch_path%3D\(schema)"
    }
}

/// The API in-process (no socket): auth, merchants, decisions, outcome
/// feedback, bad input, the OpenAPI document. Each test has its own database.
@Suite("Gateway API")
struct GatewayTests {
    static let adminKey = "adm_test_key_0123456789abcdef"
    static let rules = """
    let card_fraud_30d = count(payments by card over 30d where outcome in ["fraud", "chargeback"])
    let card_tx_1h     = count(payments by card over 1h)
    # Filled through /v1/lists/blocked_cards/items.
    list blocked_cards = ["cf_none"]
    rule known_bad_card: block if card_fraud_30d > 0
    rule blocked_card:   block if card in @blocked_cards
    rule busy_card:      review if card_tx_1h >= 3
    rule big:            score +40 if amount > 500.00
    rule very_big:       review if amount > 1000.00
    rule foreign_ip:     score +30 if not is_missing(ip.country) and not is_missing(billing.country) and ip.country != billing.country
    decide:
      review if score >= 60
      allow

    test "a clean payment is allowed":
      given amount = 10.00
      expect allow
    """

    final class Fixture: @unchecked Sendable {
        let directory: URL
        let gateway: Gateway
        let ledger: Ledger
        /// The raw answer of the last `call` (for text bodies and headers).
        var lastResponse: HTTPResponse?
        /// The gateway's clock (epoch seconds), moved by tests.
        let clock = Clock()

        final class Clock: @unchecked Sendable {
            private let lock = NSLock()
            private var seconds: Int64 = 1_800_000_000
            var now: Int64 { lock.withLock { seconds } }
            func advance(_ by: Int64) { lock.withLock { seconds += by } }
        }

        /// The gateway's database: SQLite in `directory`, or a fresh schema of the test PostgreSQL server.
        let database: GatewayDatabase

        /// A gateway on the backend, or nil when that backend is not available here.
        static func on(_ backend: GatewayBackend) throws -> Fixture? {
            switch backend {
            case .sqlite: return try Fixture()
            case .postgres: return try GatewayBackend.freshPostgresURL().map { try Fixture(postgresURL: $0) }
            }
        }

        /// A gateway on SQLite; `postgresURL` (with its own search_path) puts it on PostgreSQL.
        init(postgresURL: String? = nil) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let compiled = RuleCompiler.compile(SourceFile(path: "gateway.rules", text: GatewayTests.rules), lists: .withRuntimeLists)
            let ruleSet = try #require(compiled.ruleSet, "\(compiled.diagnostics.map(\.message))")
            if let postgresURL {
                database = .postgres(url: postgresURL)
                ledger = try Ledger.openPostgres(url: postgresURL)
            } else {
                let path = directory.appendingPathComponent("tollgate.db").path
                database = .sqlite(path: path)
                ledger = try Ledger.openSQLite(path: path)
            }
            var configuration = Gateway.Configuration(database: database, ledger: ledger,
                                                      ruleSet: ruleSet, vaultKey: Array(repeating: 7, count: 32),
                                                      cardFingerprintKey: Array(repeating: 9, count: 32), adminKey: GatewayTests.adminKey)
            configuration.ruleSource = GatewayTests.rules
            configuration.log = { _ in }
            configuration.clock = { [clock] in clock.now }
            configuration.webhookWorker = false
            gateway = try Gateway(configuration)
        }

        deinit {
            gateway.close()
            ledger.close()
            try? FileManager.default.removeItem(at: directory)
        }

        func call(_ method: String, _ path: String, key: String?, body: String? = nil,
                  idempotencyKey: String? = nil) -> (status: Int, json: [String: Any]) {
            var headers: [String: String] = [:]
            if let key { headers["Authorization"] = "Bearer \(key)" }
            if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
            // What the server does with a URL: the query apart from the path.
            var query: [String: String] = [:]
            var pathOnly = path
            if let mark = path.firstIndex(of: "?") {
                pathOnly = String(path[..<mark])
                for pair in path[path.index(after: mark)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    query[parts[0]] = parts.count > 1 ? parts[1] : ""
                }
            }
            let response = gateway.handle(HTTPRequest(method: method, path: pathOnly, query: query, headers: headers, body: Array((body ?? "").utf8)))
            lastResponse = response
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
            return (response.status, json)
        }

        func createMerchant(_ name: String = "Shop") throws -> (id: String, test: String, live: String) {
            let created = call("POST", "/v1/merchants", key: GatewayTests.adminKey,
                               body: #"{"name":"\#(name)","country":"DE","currency":"EUR","payout_account":{"iban":"DE89 3704 0044 0532 0130 00"}}"#)
            #expect(created.status == 201, "\(created.json)")
            return (try #require(created.json["id"] as? String), try #require(created.json["secret_key"] as? String),
                    try #require(created.json["live_secret_key"] as? String))
        }
    }

    static func errorCode(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["code"] as? String }
    static func errorParam(_ json: [String: Any]) -> String? { (json["error"] as? [String: Any])?["param"] as? String }

    @Test func authentication() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        #expect(fixture.call("POST", "/v1/decisions", key: nil, body: "{}").status == 401)
        #expect(Self.errorCode(fixture.call("POST", "/v1/decisions", key: "sk_test_wrong", body: "{}").json) == "invalid_api_key")
        #expect(fixture.call("POST", "/v1/decisions", key: "garbage", body: "{}").status == 401)
        #expect(Self.errorCode(fixture.call("POST", "/v1/decisions", key: Self.adminKey, body: "{}").json) == "merchant_key_required")
        #expect(Self.errorCode(fixture.call("GET", "/v1/merchants/\(merchant.id)", key: merchant.test).json) == "admin_key_required")
        let error = fixture.call("GET", "/v1/merchants/\(merchant.id)", key: "adm_nope_nope_nope_nope").json["error"] as? [String: Any]
        #expect(error?["type"] as? String == "authentication_error")
        #expect(fixture.call("GET", "/healthz", key: nil).status == 200, "health needs no key")
    }

    @Test func merchantsShowTheirKeysOnceAndStoreOnlyHashes() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        #expect(merchant.test.hasPrefix("sk_test_") && merchant.live.hasPrefix("sk_live_"))
        let fetched = fixture.call("GET", "/v1/merchants/\(merchant.id)", key: Self.adminKey)
        #expect(fetched.status == 200)
        #expect(fetched.json["secret_key"] == nil && fetched.json["live_secret_key"] == nil)
        #expect((fetched.json["payout_account"] as? [String: Any])?["last4"] as? String == "3000")
        #expect(fixture.call("GET", "/v1/merchants/mer_nope", key: Self.adminKey).status == 404)
        // A US bank account.
        let us = fixture.call("POST", "/v1/merchants", key: Self.adminKey,
                              body: #"{"name":"US shop","country":"US","currency":"USD","payout_account":{"routing_number":"021000021","account_number":"123456789"}}"#)
        #expect(us.status == 201)
        fixture.gateway.close()
        for file in ["tollgate.db", "tollgate.db-wal"] {
            let bytes = (try? Data(contentsOf: fixture.directory.appendingPathComponent(file))) ?? Data()
            for key in [merchant.test, merchant.live, Self.adminKey] {
                #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds a secret key in clear")
            }
        }
    }

    @Test("merchant input errors name the parameter and write nothing", arguments: [
        (#"{"country":"DE","currency":"EUR","payout_account":{"iban":"DE89370400440532013000"}}"#, "parameter_missing", "name"),
        (#"{"name":"x","country":"DE","currency":"EUR","payout_account":{"iban":"DE89370400440532013001"}}"#, "parameter_invalid", "payout_account.iban"),
        (#"{"name":"x","country":"US","currency":"USD","payout_account":{"routing_number":"021000022","account_number":"1234"}}"#, "parameter_invalid", "payout_account.routing_number"),
        (#"{"name":"x","country":"US","currency":"USD","payout_account":{"routing_number":"021000021","account_number":"12"}}"#, "parameter_invalid", "payout_account.account_number"),
        (#"{"name":"x","country":"Germany","currency":"EUR","payout_account":{"iban":"DE89370400440532013000"}}"#, "parameter_invalid", "country"),
        (#"{"name":"x","country":"DE","currency":"EURO","payout_account":{"iban":"DE89370400440532013000"}}"#, "parameter_invalid", "currency"),
        (#"{"name":"x","country":"DE","currency":"EUR","payout_account":{"iban":"DE89370400440532013000"},"colour":"red"}"#, "parameter_unknown", "colour"),
        (#"{"name":7,"country":"DE","currency":"EUR","payout_account":{"iban":"DE89370400440532013000"}}"#, "parameter_invalid", "name"),
        (#"{"name":"x","country":"DE","currency":"EUR","payout_account":"DE89"}"#, "parameter_invalid", "payout_account"),
    ])
    func merchantInputErrors(body: String, code: String, param: String) throws {
        let fixture = try Fixture()
        let answer = fixture.call("POST", "/v1/merchants", key: Self.adminKey, body: body)
        #expect(answer.status == 400)
        #expect(Self.errorCode(answer.json) == code)
        #expect(Self.errorParam(answer.json) == param)
    }

    @Test("bad decision bodies get the error object and change nothing", arguments: [
        ("{not json", "invalid_json", nil),
        (#"{"amount": 100, "card": "4242 4242 4242 4242"}"#, "card_number_not_allowed", "card"),
        (#"{"amount": 100, "metadata": {"note": "5555-5555-5555-4444"}}"#, "card_number_not_allowed", "metadata.note"),
        ("[1, 2]", "invalid_json", nil),
        ("", "body_missing", nil),
        (#"{"amount": "12"}"#, "parameter_invalid", "amount"),
        (#"{"amount": 12.5}"#, "parameter_invalid", "amount"),
        (#"{"amount": true}"#, "parameter_invalid", "amount"),
        (#"{"amount": -1}"#, "parameter_invalid", "amount"),
        (#"{"amount": 99999999999999999}"#, "parameter_invalid", "amount"),
        (#"{"amount": 100, "currency": "XYZ"}"#, "parameter_invalid", "currency"),
        (#"{"amount": 100, "colour": "red"}"#, "parameter_unknown", "colour"),
        (#"{"amount": 100, "ip.country": "Nigeria"}"#, "parameter_invalid", "ip.country"),
        (#"{"amount": 100, "outcome": "fraud"}"#, "parameter_invalid", "outcome"),
        (#"{"amount": 100, "device": {"screen_width": "wide"}}"#, "parameter_invalid", "device.screen_width"),
    ])
    func badDecisionBodies(body: String, code: String, param: String?) throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        let answer = fixture.call("POST", "/v1/decisions", key: merchant.test, body: body)
        #expect(answer.status == 400, "\(answer.json)")
        #expect(Self.errorCode(answer.json) == code)
        #expect(Self.errorParam(answer.json) == param)
        #expect((answer.json["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
        // Nothing counted: the next clean payment on the card sees no history.
        let clean = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "c"}"#)
        #expect(clean.json["action"] as? String == "allow")
    }

    @Test func hugeStringsAndInvalidUTF8() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        let huge = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"card": ""# + String(repeating: "x", count: 1 << 20) + #""}"#)
        #expect(huge.status == 400)
        #expect(Self.errorParam(huge.json) == "card")
        let response = fixture.gateway.handle(HTTPRequest(method: "POST", path: "/v1/decisions", headers: ["Authorization": "Bearer \(merchant.test)"],
                                                          body: Array(#"{"card": ""#.utf8) + [0xff, 0xfe] + Array(#""}"#.utf8)))
        #expect(response.status == 400)
        #expect(response.bodyText.contains("invalid_json"))
    }

    @Test func decisionsExplainAndFeedCounters() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        let first = fixture.call("POST", "/v1/decisions", key: merchant.test,
                                 body: #"{"amount": 60000, "currency": "EUR", "card": "cf_1", "ip": "8.8.8.8", "billing.country": "DE"}"#)
        #expect(first.status == 201)
        #expect((first.json["id"] as? String)?.hasPrefix("dec_") == true)
        #expect(first.json["action"] as? String == "review")
        #expect(first.json["score"] as? Int == 70)
        let rules = first.json["rules"] as? [[String: Any]] ?? []
        #expect(Set(rules.compactMap { $0["name"] as? String }) == ["big", "foreign_ip"])
        let foreign = rules.first { $0["name"] as? String == "foreign_ip" }
        #expect((foreign?["values"] as? [String: Any])?["ip.country"] as? String == "US", "ip.country comes from GeoIP")
        #expect(first.json["ruleset"] as? String == fixture.gateway.configuration.ruleSet.hash)
        // Velocity: the third and later payments on the card within the hour go to review.
        _ = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "cf_1"}"#)
        _ = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "cf_1"}"#)
        let fourth = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "cf_1"}"#)
        #expect(fourth.json["action"] as? String == "review")
        // Outcome feedback: a chargeback on one decision blocks the card's next payment.
        let id = try #require(first.json["id"] as? String)
        let reported = fixture.call("POST", "/v1/decisions/\(id)/outcome", key: merchant.test, body: #"{"outcome": "chargeback"}"#)
        #expect(reported.status == 200)
        #expect(reported.json["outcome"] as? String == "chargeback")
        let after = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "cf_1"}"#)
        #expect(after.json["action"] as? String == "block")
        #expect(Self.errorCode(fixture.call("POST", "/v1/decisions/\(id)/outcome", key: merchant.test, body: #"{"outcome": "stolen"}"#).json) == "parameter_invalid")
        // Another merchant's decision is not found; neither is this one under the live key.
        let other = try fixture.createMerchant("Other")
        #expect(fixture.call("POST", "/v1/decisions/\(id)/outcome", key: other.test, body: #"{"outcome": "fraud"}"#).status == 404)
        #expect(fixture.call("POST", "/v1/decisions/\(id)/outcome", key: merchant.live, body: #"{"outcome": "fraud"}"#).status == 404)
        // Live counters never saw the test traffic.
        let live = fixture.call("POST", "/v1/decisions", key: merchant.live, body: #"{"amount": 100, "card": "cf_1"}"#)
        #expect(live.json["action"] as? String == "allow")
        #expect(live.json["livemode"] as? Bool == true)
    }

    @Test func everyMerchantPostTakesAnIdempotencyKey() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        let first = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "k"}"#, idempotencyKey: "d-1")
        let again = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "card": "k"}"#, idempotencyKey: "d-1")
        #expect(first.status == 201 && again.status == 201)
        #expect(first.json["id"] as? String == again.json["id"] as? String)
        #expect(fixture.lastResponse?.header("Idempotent-Replayed") == "true")
        let reused = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 200, "card": "k"}"#, idempotencyKey: "d-1")
        #expect(reused.status == 422)
        let card = #"{"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}"#
        let pm = fixture.call("POST", "/v1/payment_methods", key: merchant.test, body: card, idempotencyKey: "pm-1")
        let pmAgain = fixture.call("POST", "/v1/payment_methods", key: merchant.test, body: card, idempotencyKey: "pm-1")
        #expect(pm.json["id"] as? String == pmAgain.json["id"] as? String, "one payment method, not two")
        // Errors are not stored: the same key can be retried with a corrected body.
        #expect(fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": -1}"#, idempotencyKey: "d-2").status == 400)
        #expect(fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": -1}"#, idempotencyKey: "d-2").status == 400)
    }

    @Test func deviceAttributesBecomeFingerprints() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        let device = #"{"user_agent": "Mozilla/5.0 Chrome/120.0.1.2", "platform": "MacIntel", "screen_width": 1512, "screen_height": 982, "canvas_hash": "abc", "languages": ["en", "de"]}"#
        let answer = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100, "device": \#(device)}"#)
        #expect(answer.status == 201, "\(answer.json)")
    }

    @Test func metricsAndTheOpenAPIDocument() throws {
        let fixture = try Fixture()
        let merchant = try fixture.createMerchant()
        _ = fixture.call("POST", "/v1/decisions", key: merchant.test, body: #"{"amount": 100}"#)
        let metrics = fixture.gateway.handle(HTTPRequest(method: "GET", path: "/metrics")).bodyText
        #expect(metrics.contains("tollgate_http_requests_total{route=\"/v1/decisions\",status=\"201\"} 1"))
        #expect(metrics.contains("tollgate_decisions_total{action=\"allow\"} 1"))
        #expect(metrics.contains("tollgate_http_request_duration_seconds_bucket{route=\"/v1/decisions\",le=\"+Inf\"} 1"))
        let document = fixture.call("GET", "/v1/openapi.json", key: nil)
        #expect(document.json["openapi"] as? String == "3.1.0")
        let paths = try #require(document.json["paths"] as? [String: [String: Any]])
        let routed = Set(fixture.gateway.router.routes.map { "\($0.method.lowercased()) \($0.pattern)" })
        let described = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
        #expect(routed == described, "routes without documentation: \(routed.subtracting(described)); documented but not routed: \(described.subtracting(routed))")
    }
}
