/// The types of the rule language.
public enum ValueType: String, Sendable, Hashable {
    case string
    case integer
    case decimal
    /// Money in the transaction's currency. Held as an integer count of
    /// 1/10,000 of a major unit (`Money.scaledUnitsPerMajor`), so literals such
    /// as `200.00` compare exactly whatever the currency's exponent (0 to 3).
    case money
    case bool
    /// Whole seconds: `90s`, `10m`, `1h`, `7d`, `2w`; also ages such as `customer.age`.
    case duration
    /// Seconds since 1970-01-01T00:00:00Z.
    case timestamp
    /// An ISO 3166-1 alpha-2 code ("NG"); a string fact that is not two letters reads as missing.
    case country

    /// Stored in the record's word array (everything but strings and decimals).
    var isWord: Bool { self != .string && self != .decimal }
    /// Types with an order (`<`, `>`).
    var isOrdered: Bool { self == .integer || self == .decimal || self == .money || self == .duration || self == .timestamp }

    public var article: String {
        switch self {
        case .integer: "an integer"
        default: "a \(rawValue)"
        }
    }
}

public enum MoneyScale {
    /// Money values inside rules are counts of 1/10,000 of a major unit.
    public static let decimals = 4
    public static let unitsPerMajor: Int64 = 10_000

    /// Minor units of a currency with `exponent` decimals → rule-money units; nil on overflow.
    @inline(__always)
    public static func fromMinorUnits(_ minorUnits: Int64, exponent: Int) -> Int64? {
        let (value, overflow) = minorUnits.multipliedReportingOverflow(by: factorByExponent[exponent])
        return overflow ? nil : value
    }

    /// 10^(4 - exponent) for exponents 0…4.
    static let factorByExponent: [Int64] = [10_000, 1_000, 100, 10, 1]
}

/// The facts of DESIGN's vocabulary that rules may read, with their types.
public enum FactCatalog {
    public struct Entry: Sendable {
        public let type: ValueType
        /// Facts often absent from real traffic: comparisons with `!=` or `not in` on
        /// them are linted, since a missing value makes the comparison false.
        public let oftenMissing: Bool
    }

    public static let entries: [String: Entry] = [
        "id": Entry(type: .string, oftenMissing: false),
        "time": Entry(type: .timestamp, oftenMissing: false),
        "amount": Entry(type: .money, oftenMissing: false),
        "currency": Entry(type: .string, oftenMissing: false),
        "merchant": Entry(type: .string, oftenMissing: false),
        "merchant.mcc": Entry(type: .string, oftenMissing: false),
        "merchant.country": Entry(type: .country, oftenMissing: false),
        "customer": Entry(type: .string, oftenMissing: true),
        "customer.age": Entry(type: .duration, oftenMissing: true),
        "customer.email": Entry(type: .string, oftenMissing: true),
        "customer.chargebacks": Entry(type: .integer, oftenMissing: true),
        "email.domain": Entry(type: .string, oftenMissing: true),
        "card": Entry(type: .string, oftenMissing: false),
        "card.bin": Entry(type: .string, oftenMissing: false),
        "card.last4": Entry(type: .string, oftenMissing: false),
        "card.country": Entry(type: .country, oftenMissing: false),
        "card.brand": Entry(type: .string, oftenMissing: false),
        "card.funding": Entry(type: .string, oftenMissing: false),
        "ip": Entry(type: .string, oftenMissing: true),
        "ip.country": Entry(type: .country, oftenMissing: true),
        "device": Entry(type: .string, oftenMissing: true),
        "device.browser": Entry(type: .string, oftenMissing: true),
        "device.first_seen": Entry(type: .duration, oftenMissing: true),
        "billing.country": Entry(type: .country, oftenMissing: true),
        "shipping.country": Entry(type: .country, oftenMissing: true),
        "channel": Entry(type: .string, oftenMissing: true),
        "outcome": Entry(type: .string, oftenMissing: true),
        "label": Entry(type: .bool, oftenMissing: true),
    ]

    /// The entry for a fact name; any `metadata.KEY` is a string.
    public static func entry(_ name: String) -> Entry? {
        if let entry = entries[name] { return entry }
        if name.hasPrefix("metadata."), name.utf8.count > 9 { return Entry(type: .string, oftenMissing: true) }
        return nil
    }

    /// Close matches for "did you mean" hints.
    static func suggestion(for name: String, among extra: [String] = []) -> String? {
        let candidates = Array(entries.keys) + extra
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(name, candidate)
            if distance <= max(1, min(3, name.count / 4)), best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        return best?.0
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    if abs(a.count - b.count) > 3 { return abs(a.count - b.count) }
    var previous = Array(0...b.count)
    var row = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        row[0] = i
        for j in 1...b.count {
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &row)
    }
    return previous[b.count]
}

/// Two-letter country codes packed into 0…675 so membership is a bitmap test.
public enum CountryCode {
    @inlinable
    public static func pack<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
        guard bytes.count == 2 else { return nil }
        var iterator = bytes.makeIterator()
        guard let first = letterIndex(iterator.next()!), let second = letterIndex(iterator.next()!) else { return nil }
        return first * 26 + second
    }

    public static func pack(_ text: String) -> Int64? { pack(text.utf8) }

    public static func unpack(_ packed: Int64) -> String {
        guard packed >= 0, packed < 676 else { return "??" }
        let scalars = [UInt8(packed / 26) + UInt8(ascii: "A"), UInt8(packed % 26) + UInt8(ascii: "A")]
        return String(decoding: scalars, as: UTF8.self)
    }

    @inlinable
    static func letterIndex(_ byte: UInt8) -> Int64? {
        if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { return Int64(byte - UInt8(ascii: "A")) }
        if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { return Int64(byte - UInt8(ascii: "a")) }
        return nil
    }
}
