/// An ISO 4217 currency: its upper-case code and the exponent of its minor unit
/// (USD 2: cents; JPY 0; BHD 3). Money inside Tollgate is always an integer count
/// of minor units; the exponent says how a decimal in major units maps onto it.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let minorUnitExponent: Int

    /// Looks up an active ISO 4217 code (upper case). Nil for anything else.
    public init?(code: String) {
        guard code.utf8.count == 3, let exponent = Currency.exponentsByCode[code] else { return nil }
        self.code = code
        self.minorUnitExponent = exponent
    }

    public var description: String { code }

    public static let usd = Currency(code: "USD")!

    /// The largest minor-unit exponent of any currency (BHD, KWD, …: 3).
    public static let minorUnitExponentMax = 3

    // ISO 4217 active codes (list one, 2024 edition) with their minor-unit exponents.
    // Currencies without a minor unit (XAU, XDR, …) are left out: they are not used for payments.
    static let exponentsByCode: [String: Int] = {
        var table: [String: Int] = [:]
        let twoDecimals = """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF \
        CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF \
        IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR \
        MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD \
        SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR \
        ZMW ZWL
        """
        let zeroDecimals = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
        let threeDecimals = "BHD IQD JOD KWD LYD OMR TND"
        for code in twoDecimals.split(separator: " ") { table[String(code)] = 2 }
        for code in zeroDecimals.split(separator: " ") { table[String(code)] = 0 }
        for code in threeDecimals.split(separator: " ") { table[String(code)] = 3 }
        return table
    }()
}
