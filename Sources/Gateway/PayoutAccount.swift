import HTTP

/// Where a merchant's payouts go: an IBAN (checked with ISO 13616 mod-97) or a
/// US bank account (ABA routing number checksum, 4–17 digit account number).
public enum PayoutAccount: Sendable, Equatable {
    case iban(String)
    case usBank(routingNumber: String, accountNumber: String)

    /// The IBAN in its electronic form (no spaces, upper case) when valid.
    public static func normalizedIBAN(_ text: String) -> String? {
        let compact = text.uppercased().filter { $0 != " " }
        let bytes = Array(compact.utf8)
        guard (15...34).contains(bytes.count),
              bytes[0...1].allSatisfy({ $0 >= 65 && $0 <= 90 }), bytes[2...3].allSatisfy({ $0 >= 48 && $0 <= 57 }),
              bytes.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) }) else { return nil }
        // Move the first four characters to the end, letters → 10…35, remainder mod 97 must be 1.
        var remainder = 0
        for byte in bytes[4...] + bytes[0..<4] {
            if byte >= 65 {
                let value = Int(byte) - 55
                remainder = (remainder * 100 + value) % 97
            } else {
                remainder = (remainder * 10 + Int(byte) - 48) % 97
            }
        }
        return remainder == 1 ? compact : nil
    }

    /// ABA routing number: 9 digits, 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 mod 10.
    public static func isValidRoutingNumber(_ text: String) -> Bool {
        let digits = text.utf8.map { Int($0) - 48 }
        guard digits.count == 9, digits.allSatisfy({ (0...9).contains($0) }) else { return false }
        let weights = [3, 7, 1, 3, 7, 1, 3, 7, 1]
        return zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 10 == 0
    }

    public static func isValidAccountNumber(_ text: String) -> Bool {
        (4...17).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// What may be shown of it: the last 4 characters only.
    public var masked: JSONValue {
        switch self {
        case .iban(let iban): ["type": "iban", "country": .string(String(iban.prefix(2))), "last4": .string(String(iban.suffix(4)))]
        case .usBank(let routing, let account): ["type": "us_bank_account", "routing_number": .string(routing), "last4": .string(String(account.suffix(4)))]
        }
    }
}
