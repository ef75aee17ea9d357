/// What can be told from a card number without a BIN database: the Luhn
/// check, the brand from the issuer prefix, the CVC length it takes.
enum CardNumber {
    static func digits(_ text: String) -> [UInt8]? {
        var digits: [UInt8] = []
        for byte in text.utf8 {
            if byte >= 48 && byte <= 57 { digits.append(byte - 48) } else if byte != 32 && byte != 45 { return nil }
        }
        return (12...19).contains(digits.count) ? digits : nil
    }

    static func passesLuhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            var value = Int(digit)
            if index % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    static func brand(_ digits: [UInt8]) -> String {
        func prefix(_ count: Int) -> Int { digits.prefix(count).reduce(0) { $0 * 10 + Int($1) } }
        switch (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6)) {
        case (4, _, _, _, _): return "visa"
        case (_, 34, _, _, _), (_, 37, _, _, _): return "amex"
        case (_, 51...55, _, _, _), (_, _, _, 2221...2720, _): return "mastercard"
        case (_, _, _, 6011, _), (_, 65, _, _, _), (_, _, 644...649, _, _): return "discover"
        case (_, _, _, 3528...3589, _): return "jcb"
        case (_, 36, _, _, _), (_, 38, _, _, _), (_, _, 300...305, _, _): return "diners"
        case (_, 62, _, _, _): return "unionpay"
        default: return "unknown"
        }
    }

    static func cvcLength(brand: String) -> Int { brand == "amex" ? 4 : 3 }

    /// Text that is probably a card number: 13 to 19 digits (spaces and dashes
    /// allowed) from a card-issuing prefix (2–6) passing Luhn. Such a value is
    /// refused anywhere but `card.number`, so a number sent by mistake in a
    /// fact, a description or metadata never reaches a row or a counter.
    static func looksLikeCardNumber(_ text: String) -> Bool {
        guard text.utf8.count >= 13, text.utf8.count <= 40, let digits = digits(text), digits.count >= 13,
              (2...6).contains(digits[0]) else { return false }
        return passesLuhn(digits)
    }

    /// CONTRACT's sandbox cards: what the simulated issuer does with each (test keys accept only these).
    static let sandbox: [String: String] = [
        "4242424242424242": "approve",
        "4000000000000002": "card_declined",
        "4000000000009995": "insufficient_funds",
        "4000000000000069": "expired_card",
        "4000000000000119": "processing_error",
        "4000000000000259": "dispute",
    ]
}
