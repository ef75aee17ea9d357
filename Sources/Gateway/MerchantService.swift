import Foundation
import HTTP
import TollgateCore

/// `POST /v1/merchants` and `GET /v1/merchants/{id}` (admin key only).
struct MerchantService {
    let store: GatewayStore
    static let defaultFeeBasisPoints: Int64 = 290
    static let defaultFeeFixedMinor: Int64 = 30

    func create(_ body: JSONBody, now: Int64) throws(APIError) -> JSONValue {
        try body.onlyKnown(["name", "country", "currency", "payout_account", "fees"])
        let name = try body.string("name", required: true, maxLength: 200)!
        let country = try body.string("country", required: true)!
        guard country.utf8.count == 2, country.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw APIError.invalid("country", "'country' must be an ISO 3166-1 alpha-2 code such as \"DE\"")
        }
        let currencyCode = try body.string("currency", required: true)!
        guard Currency(code: currencyCode) != nil, currencyCode == currencyCode.uppercased() else {
            throw APIError.invalid("currency", "'currency' must be an upper-case ISO 4217 code such as \"EUR\"")
        }
        let payout = try Self.payoutAccount(try body.child("payout_account", required: true)!)
        var feeBasisPoints = Self.defaultFeeBasisPoints, feeFixed = Self.defaultFeeFixedMinor
        if let fees = try body.child("fees") {
            try fees.onlyKnown(["percent_basis_points", "fixed"])
            if let value = try fees.integer("percent_basis_points") {
                guard (0...10_000).contains(value) else { throw APIError.invalid("fees.percent_basis_points", "must be 0 to 10000 (100%)") }
                feeBasisPoints = value
            }
            if let value = try fees.integer("fixed") {
                guard (0...1_000_000).contains(value) else { throw APIError.invalid("fees.fixed", "must be 0 to 1000000 minor units") }
                feeFixed = value
            }
        }
        let merchant = Merchant(id: Secrets.token(prefix: "mer_"), name: name, country: country, currency: currencyCode,
                                payoutJSON: payout.masked.text,
                                feeBasisPoints: feeBasisPoints, feeFixedMinor: feeFixed, created: now)
        let testKey = Secrets.token(prefix: "sk_test_", length: 32)
        let liveKey = Secrets.token(prefix: "sk_live_", length: 32)
        do {
            try store.insert(merchant, keys: [(Secrets.sha256Hex(testKey), "test"), (Secrets.sha256Hex(liveKey), "live")])
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the merchant could not be stored; nothing was created")
        }
        // The keys are shown here once; only their hashes are kept.
        return merchant.json.setting("secret_key", .string(testKey)).setting("live_secret_key", .string(liveKey))
    }

    static func payoutAccount(_ body: JSONBody) throws(APIError) -> PayoutAccount {
        try body.onlyKnown(["iban", "routing_number", "account_number"])
        if let iban = try body.string("iban", maxLength: 64) {
            guard !body.has("routing_number"), !body.has("account_number") else {
                throw APIError.invalid("payout_account", "give either an IBAN or a routing and account number, not both")
            }
            guard let normalized = PayoutAccount.normalizedIBAN(iban) else {
                throw APIError.invalid("payout_account.iban", "the IBAN's check digits are wrong (ISO 13616 mod-97)")
            }
            return .iban(normalized)
        }
        guard let routing = try body.string("routing_number", maxLength: 32) else { throw APIError.missing("payout_account.iban") }
        guard PayoutAccount.isValidRoutingNumber(routing) else {
            throw APIError.invalid("payout_account.routing_number", "the routing number's checksum is wrong (ABA)")
        }
        let account = try body.string("account_number", required: true, maxLength: 32)!
        guard PayoutAccount.isValidAccountNumber(account) else {
            throw APIError.invalid("payout_account.account_number", "the account number must be 4 to 17 digits")
        }
        return .usBank(routingNumber: routing, accountNumber: account)
    }
}
