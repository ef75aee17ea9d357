import Foundation
import HTTP
import Testing
@testable import Gateway

/// `/v1/lists/{name}`: items a merchant adds and removes over the API, which
/// rules read as `x in @name` from the moment they are added.
@Suite("Lists API")
struct ListsAPITests {
    static let customerRules = """
    list blocked_customers = ["cus_from_file"]
    rule blocked_customer: block if customer in @blocked_customers
    rule watched_customer: review if customer in @watched

    test "the file's own items block":
      given customer = "cus_from_file"
      expect block by blocked_customer
    """

    @Test(arguments: GatewayBackend.allCases) func itemsAreAddedListedAndRemoved(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let fixture = shop.fixture
        let added = shop.post("/v1/lists/blocked_emails/items", #"{"value": "mallory@example.com"}"#)
        #expect(added.status == 201, "\(added.json)")
        #expect(added.json["object"] as? String == "list_item")
        #expect(added.json["list"] as? String == "blocked_emails")
        #expect((added.json["id"] as? String)?.hasPrefix("li_") == true)
        let again = shop.post("/v1/lists/blocked_emails/items", #"{"value": "mallory@example.com"}"#)
        #expect(again.status == 200, "a value already present is answered as it is")
        #expect(again.json["id"] as? String == added.json["id"] as? String)
        for index in 0..<11 {
            fixture.clock.advance(1)
            #expect(shop.post("/v1/lists/blocked_emails/items", #"{"value": "bot\#(index)@example.com"}"#).status == 201)
        }
        let first = shop.get("/v1/lists/blocked_emails")
        #expect(first.json["object"] as? String == "list")
        let page = try #require(first.json["data"] as? [[String: Any]])
        #expect(page.count == 10 && first.json["has_more"] as? Bool == true)
        #expect(page.first?["value"] as? String == "bot10@example.com", "newest first")
        let last = try #require(page.last?["id"] as? String)
        let rest = shop.get("/v1/lists/blocked_emails?starting_after=\(last)")
        #expect((rest.json["data"] as? [[String: Any]])?.map { $0["value"] as? String } == ["bot0@example.com", "mallory@example.com"])
        #expect(rest.json["has_more"] as? Bool == false)
        // Removing: the value URL-encoded in the path.
        let removed = fixture.call("DELETE", "/v1/lists/blocked_emails/items/mallory%40example.com", key: shop.merchant.test)
        #expect(removed.status == 200, "\(removed.json)")
        #expect(removed.json["deleted"] as? Bool == true)
        #expect(fixture.call("DELETE", "/v1/lists/blocked_emails/items/mallory%40example.com", key: shop.merchant.test).status == 404)
        #expect(shop.get("/v1/lists/blocked_emails?limit=100").json["data"].map { ($0 as? [Any])?.count } == 11)
        // Re-adding makes a new item; the history keeps both.
        let readded = shop.post("/v1/lists/blocked_emails/items", #"{"value": "mallory@example.com"}"#)
        #expect(readded.status == 201 && readded.json["id"] as? String != added.json["id"] as? String)
        let rows = try fixture.gateway.store.withConnection { connection in
            try connection.scalarText("SELECT COUNT(*) FROM list_items WHERE value = 'mallory@example.com'")
        }
        #expect(rows == "2")
        // Other merchants and the live mode have lists of their own; the admin key has none.
        let other = try fixture.createMerchant("Other")
        #expect((fixture.call("GET", "/v1/lists/blocked_emails", key: other.test).json["data"] as? [Any])?.isEmpty == true)
        #expect((fixture.call("GET", "/v1/lists/blocked_emails", key: shop.merchant.live).json["data"] as? [Any])?.isEmpty == true)
        #expect(fixture.call("DELETE", "/v1/lists/blocked_emails/items/bot1%40example.com", key: other.test).status == 404)
        #expect(fixture.call("GET", "/v1/lists/blocked_emails", key: GatewayTests.adminKey).status == 401)
        #expect(fixture.call("GET", "/v1/lists/blocked_emails", key: nil).status == 401)
    }

    @Test("bad list requests get the error object and write nothing", arguments: [
        ("/v1/lists/blocked_emails/items", "{}", "parameter_missing", "value"),
        ("/v1/lists/blocked_emails/items", #"{"value": 7}"#, "parameter_invalid", "value"),
        ("/v1/lists/blocked_emails/items", #"{"value": ""}"#, "parameter_invalid", "value"),
        ("/v1/lists/blocked_emails/items", #"{"value": "x", "reason": "y"}"#, "parameter_unknown", "reason"),
        ("/v1/lists/blocked_emails/items", "{\"value\": \"" + String(repeating: "x", count: 501) + "\"}", "parameter_invalid", "value"),
        ("/v1/lists/9lives/items", #"{"value": "x"}"#, "parameter_invalid", "name"),
        ("/v1/lists/bad-name/items", #"{"value": "x"}"#, "parameter_invalid", "name"),
        ("/v1/lists/blocked_emails/items", "{not json", "invalid_json", nil),
    ] as [(String, String, String, String?)])
    func badRequests(path: String, body: String, code: String, param: String?) throws {
        let shop = try ChargeTests.Shop()
        let answer = shop.post(path, body)
        #expect(answer.status == 400)
        #expect(GatewayTests.errorCode(answer.json) == code)
        #expect(GatewayTests.errorParam(answer.json) == param)
        let rows = try shop.fixture.gateway.store.withConnection { try $0.scalarText("SELECT COUNT(*) FROM list_items") }
        #expect(rows == "0")
    }

    @Test(arguments: GatewayBackend.allCases) func rulesSeeItemsFromTheMomentTheyAreAdded(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let fixture = shop.fixture
        let put = shop.fixture.call("PUT", "/v1/rules", key: shop.merchant.test, body: Self.customerRules)
        #expect(put.status == 200, "\(put.json)")
        let warnings = (put.json["warnings"] as? [String]) ?? []
        #expect(warnings.contains { $0.contains("'@watched' is not declared") }, "an undeclared list is warned about: \(warnings)")
        func action(_ customer: String, key: String? = nil) -> String? {
            fixture.call("POST", "/v1/decisions", key: key ?? shop.merchant.test,
                         body: #"{"amount": 1000, "customer": "\#(customer)"}"#).json["action"] as? String
        }
        #expect(action("cus_from_file") == "block", "the file's own items")
        #expect(action("cus_mallory") == "allow")
        fixture.clock.advance(5)
        #expect(shop.post("/v1/lists/blocked_customers/items", #"{"value": "cus_mallory"}"#).status == 201)
        #expect(action("cus_mallory") == "block", "a declared list also holds the API's items")
        #expect(action("cus_mallory", key: shop.merchant.live) == "allow", "live mode has its own lists")
        #expect(shop.post("/v1/lists/watched/items", #"{"value": "cus_eve"}"#).status == 201)
        #expect(action("cus_eve") == "review", "an undeclared list holds only the API's items")
        // Removed: no longer read.
        #expect(fixture.call("DELETE", "/v1/lists/blocked_customers/items/cus_mallory", key: shop.merchant.test).status == 200)
        #expect(action("cus_mallory") == "allow")
        #expect(fixture.call("DELETE", "/v1/lists/blocked_customers/items/cus_from_file", key: shop.merchant.test).status == 404,
                "the file's items are the file's")
        // A restarted gateway reads the items from the database.
        let restarted = try Gateway(fixture.gateway.configuration)
        defer { restarted.close() }
        let answer = restarted.handle(HTTPRequest(method: "POST", path: "/v1/decisions", query: [:],
                                                  headers: ["Authorization": "Bearer \(shop.merchant.test)"],
                                                  body: Array(#"{"amount": 1000, "customer": "cus_eve"}"#.utf8)))
        let json = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
        #expect(json?["action"] as? String == "review")
    }

    @Test(arguments: GatewayBackend.allCases) func listItemsBlockChargesUnderTheServersRules(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let created = shop.fixture.call("POST", "/v1/payment_methods", key: shop.merchant.test, body: PaymentMethodTests.card("4242424242424242"))
        let pm = try #require(created.json["id"] as? String)
        let fingerprint = try #require((created.json["card"] as? [String: Any])?["fingerprint"] as? String)
        #expect(shop.charge(#"{"amount": 1000, "payment_method": "\#(pm)"}"#).status == 201)
        #expect(shop.post("/v1/lists/blocked_cards/items", #"{"value": "\#(fingerprint)"}"#).status == 201)
        let blocked = shop.charge(#"{"amount": 1000, "payment_method": "\#(pm)"}"#)
        #expect(blocked.status == 402)
        #expect(ChargeTests.code(blocked.json) == "risk_blocked")
    }

    @Test(arguments: GatewayBackend.allCases) func whereFiltersReadOnlyDeclaredLists(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let rules = """
        let risky_tx_1h = count(payments by card over 1h where customer in @undeclared)
        rule r: review if risky_tx_1h > 3
        """
        let put = shop.fixture.call("PUT", "/v1/rules", key: shop.merchant.test, body: rules)
        #expect(put.status == 422)
        let message = (put.json["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("unknown list '@undeclared'") && message.contains("'where' filter"), "\(message)")
    }
}
