import TollgateCore

/// What an account is for. The gateway's mapping onto transfers (README "Ledger")
/// uses these; the ledger itself treats codes as opaque labels.
public enum AccountCode: UInt16, Sendable, CaseIterable {
    case merchantAvailable = 1
    case merchantPending = 2
    case customerFundingSource = 3
    case issuerSettlement = 4
    case gatewayFees = 5
    case payoutClearing = 6
    case other = 100
}

/// Balance limits and state. `debitsMustNotExceedCredits` makes a liability-style
/// account that can never go negative (a merchant's available balance).
public struct AccountFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1 << 0)
    public static let creditsMustNotExceedDebits = AccountFlags(rawValue: 1 << 1)
    /// No new transfers may touch the account; pending ones may still be posted or voided.
    public static let closed = AccountFlags(rawValue: 1 << 2)
    static let known: AccountFlags = [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits, .closed]
}

/// A ledger account in one currency, with its four balances in minor units.
/// Balances only ever change through transfers.
public struct Account: Equatable, Sendable {
    public var id: LedgerID
    public var currency: Currency
    public var code: UInt16
    public var flags: AccountFlags
    public var userData: UInt64
    public var debitsPending: Int64 = 0
    public var debitsPosted: Int64 = 0
    public var creditsPending: Int64 = 0
    public var creditsPosted: Int64 = 0
    /// When the ledger created it: nanoseconds since 1970, assigned by the ledger.
    public var timestamp: Int64 = 0

    public init(id: LedgerID, currency: Currency, code: UInt16, flags: AccountFlags = [], userData: UInt64 = 0) {
        self.id = id
        self.currency = currency
        self.code = code
        self.flags = flags
        self.userData = userData
    }

    /// Credits minus debits, posted only (what a liability account "holds").
    public var postedCreditBalance: Int64 { creditsPosted - debitsPosted }
}

/// The outcome of creating one account.
public enum CreateAccountResult: String, Sendable, Equatable {
    case created
    case exists
    case idMustNotBeZero = "id_must_not_be_zero"
    case idMustNotBeIntMax = "id_must_not_be_int_max"
    case flagsAreMutuallyExclusive = "flags_are_mutually_exclusive"
    case flagsAreUnknown = "flags_are_unknown"
    case existsWithDifferentCurrency = "exists_with_different_currency"
    case existsWithDifferentCode = "exists_with_different_code"
    case existsWithDifferentFlags = "exists_with_different_flags"
    case existsWithDifferentUserData = "exists_with_different_user_data"

    public var isSuccess: Bool { self == .created || self == .exists }
}

/// The outcome of closing one account.
public enum CloseAccountResult: String, Sendable, Equatable {
    case closed
    case alreadyClosed = "already_closed"
    case accountNotFound = "account_not_found"
}

/// An account's balances at one moment (now, or as of a past time).
public struct AccountBalance: Equatable, Sendable {
    public var accountID: LedgerID
    public var currency: Currency
    public var debitsPending: Int64
    public var debitsPosted: Int64
    public var creditsPending: Int64
    public var creditsPosted: Int64
    /// The moment these balances describe, nanoseconds since 1970.
    public var asOfTimestamp: Int64
}
