/// The outcome of one transfer. Exactly two mean success: `created` (it moved
/// money now) and `exists` (an identical transfer with this id already did).
/// Every other value is a rejection that moved nothing; README "Ledger" has the table.
public enum TransferResult: String, Sendable, Equatable, CaseIterable {
    case created
    case exists

    // Chains (linked transfers).
    case linkedEventFailed = "linked_event_failed"
    case linkedEventChainOpen = "linked_event_chain_open"

    // Checked from the transfer alone; never recorded (a retry fails the same way anyway).
    case idMustNotBeZero = "id_must_not_be_zero"
    case idMustNotBeIntMax = "id_must_not_be_int_max"
    case amountMustNotBeZero = "amount_must_not_be_zero"
    case amountMustNotBeNegative = "amount_must_not_be_negative"
    case accountsMustBeDifferent = "accounts_must_be_different"
    case debitAccountIDMustNotBeZero = "debit_account_id_must_not_be_zero"
    case creditAccountIDMustNotBeZero = "credit_account_id_must_not_be_zero"
    case currencyMustBeSet = "currency_must_be_set"
    case pendingIDMustBeZero = "pending_id_must_be_zero"
    case pendingIDMustNotBeZero = "pending_id_must_not_be_zero"
    case pendingIDMustBeDifferent = "pending_id_must_be_different"
    case timeoutReservedForPendingTransfer = "timeout_reserved_for_pending_transfer"

    // The id was used before.
    case idAlreadyFailed = "id_already_failed"
    case existsWithDifferentDebitAccountID = "exists_with_different_debit_account_id"
    case existsWithDifferentCreditAccountID = "exists_with_different_credit_account_id"
    case existsWithDifferentAmount = "exists_with_different_amount"
    case existsWithDifferentCurrency = "exists_with_different_currency"
    case existsWithDifferentKind = "exists_with_different_kind"
    case existsWithDifferentPendingID = "exists_with_different_pending_id"
    case existsWithDifferentTimeout = "exists_with_different_timeout"
    case existsWithDifferentCode = "exists_with_different_code"
    case existsWithDifferentUserData = "exists_with_different_user_data"

    // Depend on the ledger's state; recorded, so a retry answers `id_already_failed`.
    case debitAccountNotFound = "debit_account_not_found"
    case creditAccountNotFound = "credit_account_not_found"
    case currencyMismatch = "currency_mismatch"
    case accountClosed = "account_closed"
    case pendingTransferNotFound = "pending_transfer_not_found"
    case pendingTransferNotPending = "pending_transfer_not_pending"
    case pendingTransferHasDifferentDebitAccountID = "pending_transfer_has_different_debit_account_id"
    case pendingTransferHasDifferentCreditAccountID = "pending_transfer_has_different_credit_account_id"
    case pendingTransferHasDifferentCurrency = "pending_transfer_has_different_currency"
    case pendingTransferHasDifferentAmount = "pending_transfer_has_different_amount"
    case exceedsPendingTransferAmount = "exceeds_pending_transfer_amount"
    case pendingTransferAlreadyPosted = "pending_transfer_already_posted"
    case pendingTransferAlreadyVoided = "pending_transfer_already_voided"
    case pendingTransferExpired = "pending_transfer_expired"
    case exceedsCredits = "exceeds_credits"
    case exceedsDebits = "exceeds_debits"
    case overflowsDebitsPending = "overflows_debits_pending"
    case overflowsCreditsPending = "overflows_credits_pending"
    case overflowsDebitsPosted = "overflows_debits_posted"
    case overflowsCreditsPosted = "overflows_credits_posted"
    case overflowsDebits = "overflows_debits"
    case overflowsCredits = "overflows_credits"
    case overflowsTimeout = "overflows_timeout"

    public var isSuccess: Bool { self == .created || self == .exists }

    /// Rejections decided by the ledger's state at the time. They are stored with
    /// the id so that a retry can never turn a failure into a success.
    var isRecordedFailure: Bool {
        switch self {
        case .debitAccountNotFound, .creditAccountNotFound, .currencyMismatch, .accountClosed,
             .pendingTransferNotFound, .pendingTransferNotPending, .pendingTransferHasDifferentDebitAccountID,
             .pendingTransferHasDifferentCreditAccountID, .pendingTransferHasDifferentCurrency,
             .pendingTransferHasDifferentAmount, .exceedsPendingTransferAmount, .pendingTransferAlreadyPosted,
             .pendingTransferAlreadyVoided, .pendingTransferExpired, .exceedsCredits, .exceedsDebits,
             .overflowsDebitsPending, .overflowsCreditsPending, .overflowsDebitsPosted, .overflowsCreditsPosted,
             .overflowsDebits, .overflowsCredits, .overflowsTimeout, .linkedEventFailed:
            return true
        default:
            return false
        }
    }
}
