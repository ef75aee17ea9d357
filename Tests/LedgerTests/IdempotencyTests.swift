import Ledger
import Testing
import TollgateCore

@Suite("Ledger idempotency")
struct IdempotencyTests {
    @Test("a retried transfer returns exists and moves nothing", arguments: Backend.allCases)
    func retries(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            let batch = [pay(10, 500), pay(11, 800, kind: .pending), post(12, pending: 11, amount: 300), pay(13, 9, kind: .pending), void(14, pending: 13)]
            #expect(try ledger.createTransfers(batch) == Array(repeating: .created, count: 5))
            let before = try balances(ledger, Accounts.merchant)
            for _ in 0..<3 {
                #expect(try ledger.createTransfers(batch) == Array(repeating: .exists, count: 5))
            }
            // The same id twice in one submission: the second is a retry of the first.
            #expect(try ledger.createTransfers([pay(20, 5), pay(20, 5)]) == [.created, .exists])
            #expect(try balances(ledger, Accounts.merchant) == [before[0], before[1], before[2], before[3] + 5])
            // Accounts too.
            #expect(try ledger.createAccounts([Account(id: Accounts.fees, currency: usd, code: AccountCode.gatewayFees.rawValue)]) == [.exists])
            #expect(try ledger.createAccounts([
                Account(id: Accounts.fees, currency: eur, code: AccountCode.gatewayFees.rawValue),
                Account(id: Accounts.fees, currency: usd, code: 77),
                Account(id: Accounts.fees, currency: usd, code: AccountCode.gatewayFees.rawValue, flags: .creditsMustNotExceedDebits),
                Account(id: Accounts.fees, currency: usd, code: AccountCode.gatewayFees.rawValue, userData: 1),
            ]) == [.existsWithDifferentCurrency, .existsWithDifferentCode, .existsWithDifferentFlags, .existsWithDifferentUserData])
        }
    }

    @Test("the same id with any field changed names the field", arguments: Backend.allCases)
    func changedFields(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            var original = pay(10, 500)
            original.code = 7
            original.userData = 42
            #expect(try ledger.createTransfers([original, pay(11, 50, kind: .pending), pay(12, 60, kind: .pending)]) == [.created, .created, .created])
            func changed(_ change: (inout Transfer) -> Void) -> Transfer {
                var transfer = original
                change(&transfer)
                return transfer
            }
            let cases: [(Transfer, TransferResult)] = [
                (changed { $0.debitAccountID = Accounts.fees }, .existsWithDifferentDebitAccountID),
                (changed { $0.creditAccountID = Accounts.fees }, .existsWithDifferentCreditAccountID),
                (changed { $0.amount = 501 }, .existsWithDifferentAmount),
                (changed { $0.currency = eur }, .existsWithDifferentCurrency),
                (changed { $0.kind = .pending }, .existsWithDifferentKind),
                (changed { $0.code = 8 }, .existsWithDifferentCode),
                (changed { $0.userData = 43 }, .existsWithDifferentUserData),
                (changed { $0.amount = 0 }, .existsWithDifferentAmount),
            ]
            for (transfer, expected) in cases {
                #expect(try ledger.createTransfers([transfer]) == [expected])
            }
            var pendingWithTimeout = pay(11, 50, kind: .pending)
            pendingWithTimeout.timeoutSeconds = 9
            #expect(try ledger.createTransfers([pendingWithTimeout]) == [.existsWithDifferentTimeout])
            #expect(try ledger.createTransfers([post(13, pending: 11, amount: 50)]) == [.created])
            #expect(try ledger.createTransfers([post(13, pending: 12, amount: 50)]) == [.existsWithDifferentPendingID])
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 60, 550])
        }
    }

    @Test("a failed transfer keeps failing, even once it could succeed", arguments: Backend.allCases)
    func failuresArePinned(backend: Backend) throws {
        try withLedger(backend) { ledger, location in
            try Accounts.create(in: ledger)
            let payout = pay(10, 1_000, from: Accounts.merchant, to: Accounts.payout)
            #expect(try ledger.createTransfers([payout]) == [.exceedsCredits])
            #expect(try ledger.createTransfers([pay(11, 5_000)]) == [.created])
            // Funds are there now, but the id failed: a retry must not turn it into a success.
            #expect(try ledger.createTransfers([payout]) == [.idAlreadyFailed])
            #expect(try ledger.recordedFailure(id: 10) == .exceedsCredits)
            // Failures of a linked chain are pinned for every member.
            #expect(try ledger.createTransfers([pay(20, 5, linked: true), pay(21, 5, from: 404)]) == [.linkedEventFailed, .debitAccountNotFound])
            #expect(try ledger.createTransfers([pay(20, 5)]) == [.idAlreadyFailed])
            // Input errors are not stored: nothing is written for them.
            #expect(try ledger.createTransfers([pay(30, 0)]) == [.amountMustNotBeZero])
            #expect(try ledger.recordedFailure(id: 30) == nil)
            // And it all survives a restart.
            ledger.close()
            let reopened = try location.open()
            #expect(try reopened.createTransfers([payout, pay(11, 5_000)]) == [.idAlreadyFailed, .exists])
            #expect(try reopened.verify().holds)
            reopened.close()
        }
    }
}
