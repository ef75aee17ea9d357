import Fingerprints
import Foundation
import HTTP

/// `POST /v1/payment_methods`: checks a card (Luhn, expiry, CVC), keeps its
/// number only encrypted in the vault, its keyed fingerprint for counters, and
/// shows nothing beyond brand, BIN and last 4. The CVC is checked and dropped.
struct PaymentMethodService {
    let store: GatewayStore
    let vault: CardVault
    let fingerprinter: CardFingerprinter

    func create(_ body: JSONBody, merchant: Merchant, mode: String, now: Int64) throws(APIError) -> JSONValue {
        try body.onlyKnown(["type", "card", "customer"])
        let type = try body.string("type", required: true)!
        guard type == "card" else { throw APIError.invalid("type", "'type' must be \"card\"") }
        let customer = try body.string("customer", maxLength: 200)
        let card = try body.child("card", required: true)!
        try card.onlyKnown(["number", "exp_month", "exp_year", "cvc"])
        let number = try card.string("number", required: true, maxLength: 40, cardNumber: true)!
        guard let digits = CardNumber.digits(number), CardNumber.passesLuhn(digits) else {
            throw APIError(400, type: "card_error", code: "invalid_number", "the card number is not a valid card number", param: "card.number")
        }
        let month = try card.integer("exp_month", required: true)!
        guard (1...12).contains(month) else {
            throw APIError(400, type: "card_error", code: "invalid_expiry_month", "'exp_month' must be 1 to 12", param: "card.exp_month")
        }
        let year = try card.integer("exp_year", required: true)!
        let today = Self.yearAndMonth(now)
        guard (today.year...(today.year + 50)).contains(year), year > today.year || month >= today.month else {
            throw APIError(400, type: "card_error", code: "invalid_expiry_year", "the card has expired or its year is not valid", param: "card.exp_year")
        }
        let brand = CardNumber.brand(digits)
        let cvc = try card.string("cvc", required: true, maxLength: 8)!
        guard cvc.utf8.count == CardNumber.cvcLength(brand: brand), cvc.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw APIError(400, type: "card_error", code: "invalid_cvc", "the CVC must be \(CardNumber.cvcLength(brand: brand)) digits", param: "card.cvc")
        }
        let pan = String(decoding: digits.map { $0 + 48 }, as: UTF8.self)
        if mode == "test" && CardNumber.sandbox[pan] == nil {
            throw APIError(400, type: "card_error", code: "live_card_in_test_mode",
                           "test keys accept only the sandbox card numbers (e.g. 4242 4242 4242 4242)", param: "card.number")
        }
        if mode == "live" && CardNumber.sandbox[pan] != nil {
            throw APIError(400, type: "card_error", code: "test_card_in_live_mode", "sandbox card numbers work only with test keys", param: "card.number")
        }
        guard let fingerprint = fingerprinter.fingerprint(cardNumber: pan) else {
            throw APIError(400, type: "card_error", code: "invalid_number", "the card number is not a valid card number", param: "card.number")
        }
        let id = Secrets.token(prefix: "pm_")
        let method = GatewayStore.StoredPaymentMethod(
            id: id, merchantID: merchant.id, mode: mode, created: now, brand: brand, bin: String(pan.prefix(6)),
            last4: String(pan.suffix(4)), expMonth: month, expYear: year, fingerprint: fingerprint, customer: customer,
            sealedNumber: vault.encrypt(Array(pan.utf8), associatedData: id))
        do {
            try store.insert(method)
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the payment method could not be stored; nothing was created")
        }
        return Self.json(method)
    }

    static func json(_ method: GatewayStore.StoredPaymentMethod) -> JSONValue {
        ["id": .string(method.id), "object": "payment_method", "type": "card", "customer": .optional(method.customer),
         "card": ["brand": .string(method.brand), "bin": .string(method.bin), "last4": .string(method.last4), "country": nil,
                  "fingerprint": .string(method.fingerprint), "exp_month": .integer(method.expMonth), "exp_year": .integer(method.expYear)],
         "created": .integer(method.created), "livemode": .bool(method.mode == "live")]
    }

    static func yearAndMonth(_ epochSeconds: Int64) -> (year: Int64, month: Int64) {
        let date = Date(timeIntervalSince1970: TimeInterval(epochSeconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return (Int64(parts.year ?? 1970), Int64(parts.month ?? 1))
    }
}
