/// An amount of one currency in integer minor units. Never floating point.
/// Arithmetic traps on overflow and on mixing currencies (programmer errors);
/// input that could do either is rejected earlier with a thrown error.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "currency mismatch: \(lhs.currency) + \(rhs.currency)")
        return Money(minorUnits: lhs.minorUnits + rhs.minorUnits, currency: lhs.currency)
    }

    public static func - (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "currency mismatch: \(lhs.currency) - \(rhs.currency)")
        return Money(minorUnits: lhs.minorUnits - rhs.minorUnits, currency: lhs.currency)
    }

    /// "12.34 USD", "1200 JPY", "-0.500 BHD".
    public var description: String {
        "\(DecimalText.format(units: minorUnits, scale: currency.minorUnitExponent)) \(currency.code)"
    }
}

/// Exact decimal text ⇄ scaled integers, with no floating point anywhere.
public enum DecimalText {
    /// Formats `units` × 10^-scale, e.g. (1234, 2) → "12.34".
    public static func format(units: Int64, scale: Int) -> String {
        if scale == 0 { return String(units) }
        let negative = units < 0
        let magnitude = units.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<scale { divisor *= 10 }
        let whole = magnitude / divisor
        var fraction = String(magnitude % divisor)
        while fraction.utf8.count < scale { fraction = "0" + fraction }
        return (negative ? "-" : "") + "\(whole).\(fraction)"
    }

    /// Parses a plain decimal ("12", "-0.5", "85.64999999999999") into units of
    /// 10^-scale, rounding half to even. Nil when the text is not a decimal or overflows Int64.
    @inlinable
    public static func parse<Bytes: Collection<UInt8>>(_ text: Bytes, scale: Int) -> Int64? {
        var iterator = text.makeIterator()
        var negative = false
        var sawDigit = false
        var whole: Int64 = 0
        var fractionDigits = 0
        var kept: Int64 = 0           // whole and the first `scale` fraction digits
        var firstDropped: UInt8? = nil  // the first fraction digit past `scale`
        var droppedNonZeroAfterFirst = false
        var inFraction = false
        var first = true
        while let byte = iterator.next() {
            if first && (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")) {
                negative = byte == UInt8(ascii: "-")
                first = false
                continue
            }
            first = false
            if byte == UInt8(ascii: ".") {
                if inFraction { return nil }
                inFraction = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            let digit = Int64(byte - UInt8(ascii: "0"))
            if !inFraction {
                let (w1, o1) = whole.multipliedReportingOverflow(by: 10)
                let (w2, o2) = w1.addingReportingOverflow(digit)
                if o1 || o2 { return nil }
                whole = w2
            } else if fractionDigits < scale {
                let (k1, o1) = kept.multipliedReportingOverflow(by: 10)
                let (k2, o2) = k1.addingReportingOverflow(digit)
                if o1 || o2 { return nil }
                kept = k2
                fractionDigits += 1
            } else if firstDropped == nil {
                firstDropped = UInt8(digit)
            } else if digit != 0 {
                droppedNonZeroAfterFirst = true
            }
        }
        guard sawDigit else { return nil }
        var scaleFactor: Int64 = 1
        for _ in 0..<scale {
            let (f, o) = scaleFactor.multipliedReportingOverflow(by: 10)
            if o { return nil }
            scaleFactor = f
        }
        while fractionDigits < scale {
            kept *= 10
            fractionDigits += 1
        }
        let (scaledWhole, o1) = whole.multipliedReportingOverflow(by: scaleFactor)
        if o1 { return nil }
        var (units, o2) = scaledWhole.addingReportingOverflow(kept)
        if o2 { return nil }
        if let dropped = firstDropped {
            let roundUp = dropped > 5 || (dropped == 5 && (droppedNonZeroAfterFirst || units % 2 == 1))
            if roundUp {
                let (u, o) = units.addingReportingOverflow(1)
                if o { return nil }
                units = u
            }
        }
        return negative ? -units : units
    }
}
