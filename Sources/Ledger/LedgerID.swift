/// Accounts and transfers are named by 128-bit ids the caller chooses (so a
/// retried request names the same transfer). 0 and all-ones are reserved.
public typealias LedgerID = UInt128

extension UInt128 {
    /// 16 bytes, most significant first: sorts like the number, stored as a BLOB in SQLite.
    var bigEndianBytes: [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: self >> (8 * (15 - $0))) }
    }

    init(bigEndianBytes bytes: [UInt8]) {
        precondition(bytes.count == 16, "a ledger id is 16 bytes")
        self = bytes.reduce(0) { ($0 << 8) | UInt128($1) }
    }

    /// PostgreSQL's uuid text form: 8-4-4-4-12 lower-case hex digits.
    var uuidText: String {
        let hex = String(self, radix: 16)
        let digits = String(repeating: "0", count: 32 - hex.count) + hex
        var text = ""
        for (index, character) in digits.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { text.append("-") }
            text.append(character)
        }
        return text
    }

    init?(uuidText: String) {
        let digits = uuidText.filter { $0 != "-" }
        guard digits.count == 32, let value = UInt128(digits, radix: 16) else { return nil }
        self = value
    }
}
