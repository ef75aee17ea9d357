import COpenSSL
import Foundation
import Ledger
import TollgateCore

/// The ledger accounts and transfer ids of the gateway, all derived from
/// names (SHA-256 → 128 bits), so retries reach the same ids and nothing has
/// to be looked up: per merchant, mode and currency a pending and an
/// available account; per mode and currency the customers' funding source
/// and the gateway's fees.
final class LedgerAccounts: @unchecked Sendable {
    let ledger: Ledger
    private let lock = NSLock()
    private var ensured: Set<String> = []

    init(ledger: Ledger) { self.ledger = ledger }

    static func id(_ name: String) -> LedgerID {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let bytes = Array(name.utf8)
        precondition(EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1, "SHA-256 failed")
        var value: LedgerID = 0
        for byte in digest.prefix(16) { value = (value << 8) | LedgerID(byte) }
        // 0 and the all-ones id are reserved by the ledger.
        return value == 0 || value == .max ? 1 : value
    }

    static func merchantPending(_ merchantID: String, _ mode: String, _ currency: String) -> LedgerID { id("acct|\(mode)|\(merchantID)|\(currency)|pending") }
    static func merchantAvailable(_ merchantID: String, _ mode: String, _ currency: String) -> LedgerID { id("acct|\(mode)|\(merchantID)|\(currency)|available") }
    static func funding(_ mode: String, _ currency: String) -> LedgerID { id("acct|\(mode)|platform|\(currency)|funding") }
    static func fees(_ mode: String, _ currency: String) -> LedgerID { id("acct|\(mode)|platform|\(currency)|fees") }
    static func transfer(_ objectID: String, _ step: String) -> LedgerID { id("transfer|\(objectID)|\(step)") }

    /// Creates the four accounts a charge in `currency` needs, once per process.
    func ensure(merchantID: String, mode: String, currency: Currency) throws(APIError) {
        let key = "\(mode)|\(merchantID)|\(currency.code)"
        if lock.withLock({ ensured.contains(key) }) { return }
        let accounts = [
            Account(id: Self.merchantPending(merchantID, mode, currency.code), currency: currency, code: AccountCode.merchantPending.rawValue),
            Account(id: Self.merchantAvailable(merchantID, mode, currency.code), currency: currency, code: AccountCode.merchantAvailable.rawValue,
                    flags: .debitsMustNotExceedCredits),
            Account(id: Self.funding(mode, currency.code), currency: currency, code: AccountCode.customerFundingSource.rawValue),
            Account(id: Self.fees(mode, currency.code), currency: currency, code: AccountCode.gatewayFees.rawValue),
        ]
        let results: [CreateAccountResult]
        do {
            results = try ledger.createAccounts(accounts)
        } catch {
            throw LedgerAccounts.apiError(error)
        }
        guard results.allSatisfy(\.isSuccess) else {
            throw APIError(500, type: "api_error", code: "ledger_accounts", "the merchant's ledger accounts are inconsistent: \(results)")
        }
        lock.withLock { _ = ensured.insert(key) }
    }

    static func apiError(_ error: LedgerError) -> APIError {
        switch error {
        case .overloaded: APIError(503, type: "api_error", code: "overloaded", "the ledger is busy; retry with the same Idempotency-Key")
        case .attachmentFailed(let message): APIError(500, type: "api_error", code: "storage_failed", "nothing was changed: \(message)")
        default: APIError(500, type: "api_error", code: "ledger_unavailable", "nothing was changed: \(error)")
        }
    }
}
