import Foundation

/// A request body parsed as a JSON object, read field by field with the
/// error CONTRACT wants for each way it can be wrong (missing, wrong type,
/// unknown, too long). Numbers must be JSON integers where integers are
/// expected: `12.0`, `"12"` and `true` are not 12.
struct JSONBody {
    /// Longest string accepted in any field (a 1 MB string gets a 400, not a row).
    static let stringLengthMax = 5_000

    let object: [String: Any]
    /// Dotted path of this object inside the body ("payout_account."), for `param`.
    let path: String

    init(object: [String: Any], path: String) {
        self.object = object
        self.path = path
    }

    init(_ body: [UInt8]) throws(APIError) {
        guard !body.isEmpty else { throw APIError(400, code: "body_missing", "the request needs a JSON object body") }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw APIError(400, code: "invalid_json", "the body is not valid UTF-8")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body), options: [])
        } catch {
            throw APIError(400, code: "invalid_json", "the body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw APIError(400, code: "invalid_json", "the body must be a JSON object") }
        self.init(object: object, path: "")
    }

    func param(_ key: String) -> String { path + key }

    /// Refuses fields not in `allowed`.
    func onlyKnown(_ allowed: Set<String>) throws(APIError) {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) { throw APIError.unknown(param(unknown)) }
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    /// A string field. Unless `cardNumber` says this field is one, a value that
    /// looks like a card number is refused (without echoing it).
    func string(_ key: String, required: Bool = false, maxLength: Int = stringLengthMax, cardNumber: Bool = false) throws(APIError) -> String? {
        guard has(key) else {
            if required { throw APIError.missing(param(key)) }
            return nil
        }
        guard let text = object[key] as? String, !Self.isNumber(object[key]) else {
            throw APIError.invalid(param(key), "'\(param(key))' must be a string")
        }
        guard text.count <= maxLength else { throw APIError.invalid(param(key), "'\(param(key))' is longer than \(maxLength) characters") }
        if required && text.isEmpty { throw APIError.invalid(param(key), "'\(param(key))' must not be empty") }
        if !cardNumber && CardNumber.looksLikeCardNumber(text) {
            throw APIError(400, code: "card_number_not_allowed",
                           "'\(param(key))' looks like a card number; card numbers are accepted only in card.number of POST /v1/payment_methods (send the payment method's id or the card's fingerprint)",
                           param: param(key))
        }
        return text
    }

    func integer(_ key: String, required: Bool = false) throws(APIError) -> Int64? {
        guard has(key) else {
            if required { throw APIError.missing(param(key)) }
            return nil
        }
        guard let number = object[key] as? NSNumber, Self.isInteger(number) else {
            throw APIError.invalid(param(key), "'\(param(key))' must be an integer")
        }
        return number.int64Value
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard has(key) else { return nil }
        guard let number = object[key] as? NSNumber, Self.isBool(number) else {
            throw APIError.invalid(param(key), "'\(param(key))' must be true or false")
        }
        return number.boolValue
    }

    func child(_ key: String, required: Bool = false) throws(APIError) -> JSONBody? {
        guard has(key) else {
            if required { throw APIError.missing(param(key)) }
            return nil
        }
        guard let object = object[key] as? [String: Any] else { throw APIError.invalid(param(key), "'\(param(key))' must be an object") }
        return JSONBody(object: object, path: param(key) + ".")
    }

    private static let boolType = ObjectIdentifier(type(of: NSNumber(value: true)))

    static func isBool(_ number: NSNumber) -> Bool { ObjectIdentifier(type(of: number)) == boolType }

    static func isNumber(_ value: Any?) -> Bool { value is NSNumber }

    /// A JSON integer that fits Int64 (not a bool, not written with a fraction or exponent).
    static func isInteger(_ number: NSNumber) -> Bool {
        guard !isBool(number) else { return false }
        let kind = String(cString: number.objCType)
        return kind != "d" && kind != "f"
    }
}
