import Foundation
import HTTP

/// A merchant account: who takes payments, in which currency, paid out where,
/// at what fee.
public struct Merchant: Sendable {
    public let id: String
    public let name: String
    public let country: String
    public let currency: String
    public let payoutJSON: String
    /// Fee at capture: basis points of the amount plus a fixed amount in minor units (290 + 30 = 2.9% + 30).
    public let feeBasisPoints: Int64
    public let feeFixedMinor: Int64
    public let created: Int64

    var json: JSONValue {
        ["id": .string(id), "object": "merchant", "name": .string(name), "country": .string(country), "currency": .string(currency),
         "payout_account": .raw(payoutJSON), "fees": ["percent_basis_points": .integer(feeBasisPoints), "fixed": .integer(feeFixedMinor)],
         "created": .integer(created)]
    }
}

/// Who is calling: the platform admin, or a merchant with a test or live key.
public enum Caller: Sendable {
    case admin
    case merchant(Merchant, mode: String)
}
