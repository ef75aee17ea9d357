import Foundation
import HTTP
import Testing
@testable import Gateway

/// Cards: validation, the vault, what may be shown, and that the number
/// never reaches the database in clear.
@Suite("Payment methods and the card vault")
struct PaymentMethodTests {
    static func card(_ number: String, month: Int = 12, year: Int = 2030, cvc: String = "123") -> String {
        #"{"type": "card", "card": {"number": "\#(number)", "exp_month": \#(month), "exp_year": \#(year), "cvc": "\#(cvc)"}}"#
    }

    @Test func aSandboxCardIsStoredEncryptedAndShownMasked() throws {
        let fixture = try GatewayTests.Fixture()
        let merchant = try fixture.createMerchant()
        let created = fixture.call("POST", "/v1/payment_methods", key: merchant.test, body: Self.card("4242 4242 4242 4242"))
        #expect(created.status == 201, "\(created.json)")
        #expect((created.json["id"] as? String)?.hasPrefix("pm_") == true)
        let card = try #require(created.json["card"] as? [String: Any])
        #expect(card["brand"] as? String == "visa")
        #expect(card["bin"] as? String == "424242")
        #expect(card["last4"] as? String == "4242")
        #expect((card["fingerprint"] as? String)?.hasPrefix("cf_") == true)
        #expect(card["exp_month"] as? Int == 12 && card["exp_year"] as? Int == 2030)
        let text = String(describing: created.json)
        #expect(!text.contains("4242424242424242") && !text.contains("123\""), "no number or CVC in the answer")
        // The same card again: the same fingerprint (counters see one card).
        let again = fixture.call("POST", "/v1/payment_methods", key: merchant.test, body: Self.card("4242-4242-4242-4242", cvc: "999"))
        #expect((again.json["card"] as? [String: Any])?["fingerprint"] as? String == card["fingerprint"] as? String)
        // The vault gives the number back, and only for the row it was sealed for.
        let id = try #require(created.json["id"] as? String)
        let stored = try #require(try fixture.gateway.store.paymentMethod(id: id, merchantID: merchant.id))
        let vault = try CardVault(key: Array(repeating: 7, count: 32))
        #expect(String(decoding: try vault.decrypt(stored.sealedNumber, associatedData: id), as: UTF8.self) == "4242424242424242")
        #expect(throws: CardVault.VaultError.tampered) { try vault.decrypt(stored.sealedNumber, associatedData: "pm_other") }
        var altered = stored.sealedNumber
        altered[14] ^= 1
        #expect(throws: CardVault.VaultError.tampered) { try vault.decrypt(altered, associatedData: id) }
        #expect(throws: CardVault.VaultError.tampered) { try CardVault(key: Array(repeating: 8, count: 32)).decrypt(stored.sealedNumber, associatedData: id) }
        // Nothing in clear on disk: not the number, not the CVC-bearing body.
        fixture.gateway.close()
        for file in ["tollgate.db", "tollgate.db-wal"] {
            let bytes = (try? Data(contentsOf: fixture.directory.appendingPathComponent(file))) ?? Data()
            #expect(bytes.range(of: Data("4242424242424242".utf8)) == nil, "\(file) holds the card number")
        }
    }

    @Test("card errors", arguments: [
        (card("4242424242424241"), "invalid_number", "card.number"),
        (card("4242"), "invalid_number", "card.number"),
        (card("42424242424242x2"), "invalid_number", "card.number"),
        (card("4242424242424242", month: 13), "invalid_expiry_month", "card.exp_month"),
        (card("4242424242424242", month: 0), "invalid_expiry_month", "card.exp_month"),
        (card("4242424242424242", month: 1, year: 2020), "invalid_expiry_year", "card.exp_year"),
        (card("4242424242424242", year: 2999), "invalid_expiry_year", "card.exp_year"),
        (card("4242424242424242", cvc: "12"), "invalid_cvc", "card.cvc"),
        (card("4242424242424242", cvc: "12a"), "invalid_cvc", "card.cvc"),
        (card("5555555555554444"), "live_card_in_test_mode", "card.number"),
    ])
    func cardErrors(body: String, code: String, param: String) throws {
        let fixture = try GatewayTests.Fixture()
        let merchant = try fixture.createMerchant()
        let answer = fixture.call("POST", "/v1/payment_methods", key: merchant.test, body: body)
        #expect(answer.status == 400)
        let error = answer.json["error"] as? [String: Any]
        #expect(error?["type"] as? String == "card_error")
        #expect(error?["code"] as? String == code)
        #expect(error?["param"] as? String == param)
    }

    @Test func liveKeysTakeRealCardsOnlyAndBrandsAreKnown() throws {
        let fixture = try GatewayTests.Fixture()
        let merchant = try fixture.createMerchant()
        #expect(GatewayTests.errorCode(fixture.call("POST", "/v1/payment_methods", key: merchant.live, body: Self.card("4242424242424242")).json)
                == "test_card_in_live_mode")
        for (number, brand, cvc) in [("5555555555554444", "mastercard", "123"), ("378282246310005", "amex", "1234"),
                                     ("6011111111111117", "discover", "123"), ("2223003122003222", "mastercard", "123")] {
            let answer = fixture.call("POST", "/v1/payment_methods", key: merchant.live, body: Self.card(number, cvc: cvc))
            #expect(answer.status == 201, "\(number): \(answer.json)")
            #expect((answer.json["card"] as? [String: Any])?["brand"] as? String == brand)
        }
        #expect(GatewayTests.errorCode(fixture.call("POST", "/v1/payment_methods", key: merchant.live, body: Self.card("378282246310005", cvc: "123")).json)
                == "invalid_cvc", "amex takes 4 digits")
        #expect(GatewayTests.errorCode(fixture.call("POST", "/v1/payment_methods", key: merchant.test,
                                                    body: #"{"type": "sepa", "card": {}}"#).json) == "parameter_invalid")
    }

    @Test func keysFromFilesAreMadeOnceWithOwnerOnlyPermissions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("vault.key").path
        let first = try KeyMaterial.load(environment: nil, path: path, bytes: 32)
        let second = try KeyMaterial.load(environment: nil, path: path, bytes: 32)
        #expect(first == second && first.count == 32)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try KeyMaterial.load(environment: String(repeating: "ab", count: 32), path: path, bytes: 32) == Array(repeating: 0xab, count: 32))
        #expect(throws: KeyMaterial.KeyError.self) { try KeyMaterial.load(environment: "abcd", path: path, bytes: 32) }
    }
}
