import Foundation
import HTTP
import Testing
@testable import Gateway

/// A merchant's own rule file over the API: gated by compilation and tests,
/// versioned with its hash, shadow mode beside the active file.
@Suite("Rules API")
struct RulesAPITests {
    static let strict = """
    rule over_100: block if amount > 100.00

    test "big is blocked":
      given amount = 150.00
      expect block by over_100
    """

    @Test(arguments: GatewayBackend.allCases) func aFileGoesLiveOnlyWhenItCompilesAndItsTestsPass(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let fixture = shop.fixture
        // Before: the server's default file.
        _ = fixture.call("GET", "/v1/rules", key: shop.merchant.test)
        let before = try #require(fixture.lastResponse)
        #expect(before.status == 200)
        #expect(before.bodyText.contains("rule known_bad_card"))
        #expect(before.header("Tollgate-Ruleset-Version") == "0")
        #expect(fixture.call("POST", "/v1/decisions", key: shop.merchant.test, body: #"{"amount": 15000}"#).json["action"] as? String == "allow")
        // A file with an error, and one whose test fails: 422, nothing changes.
        let broken = fixture.call("PUT", "/v1/rules", key: shop.merchant.test, body: "rule x: block if amount >> 1")
        #expect(broken.status == 422)
        #expect((broken.json["error"] as? [String: Any])?["code"] as? String == "rules_invalid")
        #expect(((broken.json["error"] as? [String: Any])?["message"] as? String)?.contains("1:") == true, "diagnostics with positions")
        let failing = fixture.call("PUT", "/v1/rules", key: shop.merchant.test, body: Self.strict.replacingOccurrences(of: "expect block", with: "expect allow"))
        #expect((failing.json["error"] as? [String: Any])?["code"] as? String == "rules_tests_failed")
        let fromFile = fixture.call("PUT", "/v1/rules", key: shop.merchant.test, body: #"list l = file "/etc/passwd""# + "\nrule r: block if customer in @l")
        #expect(fromFile.status == 422, "list files cannot be read over the API")
        #expect(fixture.call("POST", "/v1/decisions", key: shop.merchant.test, body: #"{"amount": 15000}"#).json["action"] as? String == "allow")
        // A good file: version 1, live at once, for this merchant and mode only.
        let put = fixture.call("PUT", "/v1/rules", key: shop.merchant.test, body: Self.strict)
        #expect(put.status == 200, "\(put.json)")
        #expect(put.json["version"] as? Int == 1)
        let hash = try #require(put.json["hash"] as? String)
        let decision = fixture.call("POST", "/v1/decisions", key: shop.merchant.test, body: #"{"amount": 15000}"#).json
        #expect(decision["action"] as? String == "block")
        #expect(decision["ruleset"] as? String == hash, "every decision names the rule set version it used")
        #expect(fixture.call("POST", "/v1/decisions", key: shop.merchant.live, body: #"{"amount": 15000}"#).json["action"] as? String == "allow")
        let other = try fixture.createMerchant("Other")
        #expect(fixture.call("POST", "/v1/decisions", key: other.test, body: #"{"amount": 15000}"#).json["action"] as? String == "allow")
        _ = fixture.call("GET", "/v1/rules", key: shop.merchant.test)
        #expect(fixture.lastResponse?.bodyText == Self.strict)
        #expect(fixture.lastResponse?.header("Tollgate-Ruleset-Hash") == hash)
        // Charges use it too.
        let pm = try shop.card()
        let charge = shop.charge(#"{"amount": 15000, "payment_method": "\#(pm)"}"#)
        #expect(charge.status == 402)
        #expect(ChargeTests.code(charge.json) == "risk_blocked")
    }

    @Test(arguments: GatewayBackend.allCases) func shadowRulesAreReportedButNeverAct(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let fixture = shop.fixture
        let put = fixture.call("PUT", "/v1/rules?mode=shadow", key: shop.merchant.test, body: Self.strict)
        #expect(put.json["mode"] as? String == "shadow")
        let decision = fixture.call("POST", "/v1/decisions", key: shop.merchant.test, body: #"{"amount": 15000}"#).json
        #expect(decision["action"] as? String == "allow", "the active file decides")
        let shadow = try #require(decision["shadow"] as? [String: Any])
        #expect(shadow["action"] as? String == "block")
        #expect(shadow["ruleset"] as? String == put.json["hash"] as? String)
        #expect(fixture.call("PUT", "/v1/rules?mode=sideways", key: shop.merchant.test, body: Self.strict).status == 400)
    }
}
