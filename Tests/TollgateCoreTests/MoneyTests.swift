import Testing
import TollgateCore

@Suite("Money and decimal text")
struct MoneyTests {
    @Test(arguments: [
        ("12.34", 2, Int64(1234)),
        ("12", 2, 1200),
        ("-0.5", 2, -50),
        ("85.64999999999999", 2, 8565),
        ("0.125", 2, 12),      // half to even: 12.5 → 12
        ("0.135", 2, 14),      // 13.5 → 14
        ("0.1250001", 2, 13),  // above half rounds up
        ("1200", 0, 1200),
        ("1.5", 0, 2),
        ("2.5", 0, 2),
        ("0.0005", 3, 0),
        ("0.0015", 3, 2),
        ("+7.1", 1, 71),
    ])
    func parsesWithHalfEvenRounding(text: String, scale: Int, expected: Int64) {
        #expect(DecimalText.parse(text.utf8, scale: scale) == expected)
    }

    @Test(arguments: ["", "-", ".", "1.2.3", "12a", "1e5", "99999999999999999999", " 1"])
    func rejectsNonDecimals(text: String) {
        #expect(DecimalText.parse(text.utf8, scale: 2) == nil)
    }

    @Test func formatsMinorUnits() {
        #expect(DecimalText.format(units: 1234, scale: 2) == "12.34")
        #expect(DecimalText.format(units: -5, scale: 2) == "-0.05")
        #expect(DecimalText.format(units: 1200, scale: 0) == "1200")
        #expect(Money(minorUnits: 500, currency: Currency(code: "BHD")!).description == "0.500 BHD")
    }

    @Test func currenciesKnowTheirExponents() {
        #expect(Currency(code: "USD")?.minorUnitExponent == 2)
        #expect(Currency(code: "JPY")?.minorUnitExponent == 0)
        #expect(Currency(code: "KWD")?.minorUnitExponent == 3)
        #expect(Currency(code: "usd") == nil)
        #expect(Currency(code: "XYZ") == nil)
    }

    @Test func addsSameCurrency() {
        let a = Money(minorUnits: 150, currency: .usd)
        #expect((a + a).minorUnits == 300)
        #expect((a - a).minorUnits == 0)
    }
}
