/// The result of `Ledger.verify()`: what was checked and every violation found.
public struct LedgerVerification: Sendable {
    public var accountCount: Int
    public var transferCount: Int
    /// Per currency code: total debits and credits, pending and posted (equal when sound).
    public var totalsByCurrency: [String: CurrencyTotals]
    public var violations: [String]

    public var holds: Bool { violations.isEmpty }
}

public struct CurrencyTotals: Equatable, Sendable {
    public var debitsPending: Int128 = 0
    public var debitsPosted: Int128 = 0
    public var creditsPending: Int128 = 0
    public var creditsPosted: Int128 = 0
}

/// The ledger's invariants, checked from one consistent snapshot:
/// 1. per currency, total debits equal total credits (pending and posted each);
/// 2. no account breaks its balance-limit flags, and no balance is negative;
/// 3. every account's balances equal the sums of its transfers (nothing applied twice or lost);
/// 4. each pending transfer is resolved at most once, by a post or void that agrees with it;
/// 5. every transfer's currency is that of both its accounts.
enum LedgerVerifier {
    static func verify(_ snapshot: VerificationSnapshot) -> LedgerVerification {
        var violations: [String] = []
        var totals: [String: CurrencyTotals] = [:]
        for account in snapshot.accounts {
            let hex = String(account.id, radix: 16)
            totals[account.currency.code, default: CurrencyTotals()].debitsPending += Int128(account.debitsPending)
            totals[account.currency.code, default: CurrencyTotals()].debitsPosted += Int128(account.debitsPosted)
            totals[account.currency.code, default: CurrencyTotals()].creditsPending += Int128(account.creditsPending)
            totals[account.currency.code, default: CurrencyTotals()].creditsPosted += Int128(account.creditsPosted)
            if min(account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted) < 0 {
                violations.append("account \(hex): a balance is negative")
            }
            let debits = Int128(account.debitsPending) + Int128(account.debitsPosted)
            let credits = Int128(account.creditsPending) + Int128(account.creditsPosted)
            if account.flags.contains(.debitsMustNotExceedCredits) && debits > Int128(account.creditsPosted) {
                violations.append("account \(hex): debits \(debits) exceed posted credits \(account.creditsPosted) (debits_must_not_exceed_credits)")
            }
            if account.flags.contains(.creditsMustNotExceedDebits) && credits > Int128(account.debitsPosted) {
                violations.append("account \(hex): credits \(credits) exceed posted debits \(account.debitsPosted) (credits_must_not_exceed_debits)")
            }
            let sums = snapshot.sumsByAccount[account.id] ?? TransferSums()
            let stored = TransferSums(
                debitsPending: account.debitsPending, debitsPosted: account.debitsPosted,
                creditsPending: account.creditsPending, creditsPosted: account.creditsPosted)
            if sums != stored {
                violations.append("account \(hex): balances \(describe(stored)) differ from its transfers \(describe(sums))")
            }
        }
        let known = Set(snapshot.accounts.map(\.id))
        for id in snapshot.sumsByAccount.keys where !known.contains(id) {
            violations.append("transfers name account \(String(id, radix: 16)), which does not exist")
        }
        for (code, total) in totals.sorted(by: { $0.key < $1.key }) {
            if total.debitsPending != total.creditsPending {
                violations.append("\(code): pending debits \(total.debitsPending) != pending credits \(total.creditsPending)")
            }
            if total.debitsPosted != total.creditsPosted {
                violations.append("\(code): posted debits \(total.debitsPosted) != posted credits \(total.creditsPosted)")
            }
        }
        for id in snapshot.doublyResolvedPendingIDs {
            violations.append("pending transfer \(String(id, radix: 16)) was posted or voided more than once")
        }
        for id in snapshot.inconsistentResolutions {
            violations.append("transfer \(String(id, radix: 16)): post/void and its pending transfer disagree")
        }
        for id in snapshot.currencyMismatchedTransfers {
            violations.append("transfer \(String(id, radix: 16)): currency differs from its accounts'")
        }
        return LedgerVerification(
            accountCount: snapshot.accounts.count, transferCount: snapshot.transferCount,
            totalsByCurrency: totals, violations: violations)
    }

    private static func describe(_ sums: TransferSums) -> String {
        "(dp \(sums.debitsPending), dP \(sums.debitsPosted), cp \(sums.creditsPending), cP \(sums.creditsPosted))"
    }
}
