import Ledger
import Testing
import TollgateCore

@Suite("Ledger transfers")
struct TransferTests {
    @Test("a single-phase transfer moves posted balances on both sides", arguments: Backend.allCases)
    func singlePhase(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            #expect(try ledger.createTransfers([pay(10, 1_250)]) == [.created])
            #expect(try balances(ledger, Accounts.funding) == [0, 1_250, 0, 0])
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 0, 1_250])
            let stored = try #require(try ledger.transfer(id: 10))
            #expect(stored.amount == 1_250 && stored.currency == usd && stored.kind == .single && stored.timestamp > 0)
        }
    }

    @Test("authorize, capture part, the rest is released", arguments: Backend.allCases)
    func partialCapture(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            #expect(try ledger.createTransfers([pay(10, 5_000, kind: .pending)]) == [.created])
            #expect(try balances(ledger, Accounts.funding) == [5_000, 0, 0, 0])
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 5_000, 0])
            #expect(try ledger.createTransfers([post(11, pending: 10, amount: 3_000)]) == [.created])
            #expect(try balances(ledger, Accounts.funding) == [0, 3_000, 0, 0])
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 0, 3_000])
            #expect(try ledger.transfer(id: 10)?.pendingState == .posted)
            #expect(try ledger.createTransfers([post(12, pending: 10, amount: 1_000)]) == [.pendingTransferAlreadyPosted])
            #expect(try ledger.createTransfers([void(13, pending: 10)]) == [.pendingTransferAlreadyPosted])
        }
    }

    @Test("void releases the hold; a voided hold cannot be posted", arguments: Backend.allCases)
    func voidPending(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            #expect(try ledger.createTransfers([pay(10, 700, kind: .pending), void(11, pending: 10)]) == [.created, .created])
            #expect(try balances(ledger, Accounts.funding) == [0, 0, 0, 0])
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 0, 0])
            #expect(try ledger.createTransfers([post(12, pending: 10, amount: 700)]) == [.pendingTransferAlreadyVoided])
        }
    }

    @Test("capture more than held, wrong accounts or amount on a void are refused", arguments: Backend.allCases)
    func resolutionMismatches(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            #expect(try ledger.createTransfers([pay(10, 700, kind: .pending), pay(20, 5)]) == [.created, .created])
            #expect(try ledger.createTransfers([post(11, pending: 10, amount: 701)]) == [.exceedsPendingTransferAmount])
            var wrongDebit = post(12, pending: 10, amount: 100)
            wrongDebit.debitAccountID = Accounts.fees
            var wrongCredit = post(13, pending: 10, amount: 100)
            wrongCredit.creditAccountID = Accounts.fees
            var wrongCurrency = post(14, pending: 10, amount: 100)
            wrongCurrency.currency = eur
            var partialVoid = void(15, pending: 10)
            partialVoid.amount = 5
            #expect(try ledger.createTransfers([wrongDebit, wrongCredit, wrongCurrency, partialVoid]) == [
                .pendingTransferHasDifferentDebitAccountID, .pendingTransferHasDifferentCreditAccountID,
                .pendingTransferHasDifferentCurrency, .pendingTransferHasDifferentAmount,
            ])
            #expect(try ledger.createTransfers([post(16, pending: 99, amount: 1), post(17, pending: 20, amount: 1)]) == [
                .pendingTransferNotFound, .pendingTransferNotPending,
            ])
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 700, 5])
        }
    }

    @Test("a hold expires after its timeout as if voided", arguments: Backend.allCases)
    func expiry(backend: Backend) throws {
        let clock = ManualClock()
        var options = LedgerOptions()
        options.clock = { clock.now }
        try withLedger(backend, options: options) { ledger, _ in
            try Accounts.create(in: ledger)
            let authorizedAt = clock.now
            #expect(try ledger.createTransfers([
                pay(10, 900, kind: .pending, timeoutSeconds: 60), pay(20, 100, kind: .pending, timeoutSeconds: 3_600),
            ]) == [.created, .created])
            clock.advance(seconds: 61)
            // A capture after the timeout is refused even before the sweep has run.
            #expect(try ledger.createTransfers([post(11, pending: 10, amount: 900)]) == [.pendingTransferExpired])
            #expect(try ledger.transfer(id: 10)?.pendingState == .expired)
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 100, 0])
            clock.advance(seconds: 3_600)
            // Any batch sweeps due holds; this one carries an unrelated transfer.
            #expect(try ledger.createTransfers([pay(30, 1)]) == [.created])
            #expect(try ledger.transfer(id: 20)?.pendingState == .expired)
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 0, 1])
            // Balances as of the past still show the holds that were open then.
            let then = try #require(try ledger.balance(of: Accounts.merchant, asOf: authorizedAt + 30_000_000_000))
            #expect(then.creditsPending == 1_000 && then.creditsPosted == 0)
            let later = try #require(try ledger.balance(of: Accounts.merchant, asOf: authorizedAt + 120_000_000_000))
            #expect(later.creditsPending == 100)
        }
    }

    @Test("a linked chain commits all or nothing", arguments: Backend.allCases)
    func linkedChains(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            // Capture with a fee leg: both legs or neither.
            #expect(try ledger.createTransfers([pay(10, 10_000, kind: .pending)]) == [.created])
            let capture = [post(11, pending: 10, amount: 10_000, linked: true),
                           pay(12, 320, from: Accounts.merchant, to: Accounts.fees)]
            #expect(try ledger.createTransfers(capture) == [.created, .created])
            #expect(try balances(ledger, Accounts.merchant) == [0, 320, 0, 10_000])

            // The second leg overdraws the merchant: the first is undone too.
            let chain = [pay(20, 50, linked: true), pay(21, 1_000_000, from: Accounts.merchant, to: Accounts.payout, linked: true),
                         pay(22, 5)]
            #expect(try ledger.createTransfers(chain) == [.linkedEventFailed, .exceedsCredits, .linkedEventFailed])
            #expect(try ledger.transfer(id: 20) == nil)
            #expect(try balances(ledger, Accounts.merchant) == [0, 320, 0, 10_000])

            // A chain left open at the end of a submission fails whole; independent transfers around it still apply.
            #expect(try ledger.createTransfers([pay(30, 1), pay(31, 2, linked: true), pay(32, 3, linked: true)]) == [
                .created, .linkedEventChainOpen, .linkedEventChainOpen,
            ])
            // A chain that posts a hold and then fails leaves the hold pending.
            #expect(try ledger.createTransfers([pay(40, 500, kind: .pending)]) == [.created])
            #expect(try ledger.createTransfers([post(41, pending: 40, amount: 500, linked: true), pay(42, 0)]) == [
                .linkedEventFailed, .amountMustNotBeZero,
            ])
            #expect(try ledger.transfer(id: 40)?.pendingState == .pending)
            #expect(try ledger.createTransfers([post(43, pending: 40, amount: 500)]) == [.created])
        }
    }

    @Test("balance limits: a merchant cannot pay out more than it holds", arguments: Backend.allCases)
    func balanceLimits(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            #expect(try ledger.createAccounts([
                Account(id: 9, currency: usd, code: AccountCode.issuerSettlement.rawValue, flags: .creditsMustNotExceedDebits),
            ]) == [.created])
            #expect(try ledger.createTransfers([pay(10, 1_000)]) == [.created])
            #expect(try ledger.createTransfers([pay(11, 1_001, from: Accounts.merchant, to: Accounts.payout)]) == [.exceedsCredits])
            // Pending debits count against the limit too.
            #expect(try ledger.createTransfers([pay(12, 600, from: Accounts.merchant, to: Accounts.payout, kind: .pending)]) == [.created])
            #expect(try ledger.createTransfers([pay(13, 401, from: Accounts.merchant, to: Accounts.payout)]) == [.exceedsCredits])
            #expect(try ledger.createTransfers([pay(14, 400, from: Accounts.merchant, to: Accounts.payout)]) == [.created])
            #expect(try ledger.createTransfers([pay(15, 1, from: Accounts.funding, to: 9)]) == [.exceedsDebits])
        }
    }

    @Test("bad input: each a named result, nothing written", arguments: Backend.allCases)
    func badInput(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            #expect(try ledger.createAccounts([
                Account(id: 7, currency: usd, code: 1, flags: [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]),
                Account(id: 0, currency: usd, code: 1), Account(id: .max, currency: usd, code: 1),
                Account(id: 8, currency: usd, code: 1, flags: AccountFlags(rawValue: 1 << 9)),
            ]) == [.flagsAreMutuallyExclusive, .idMustNotBeZero, .idMustNotBeIntMax, .flagsAreUnknown])
            #expect(try ledger.closeAccounts([Accounts.payout, Accounts.payout, 99]) == [.closed, .alreadyClosed, .accountNotFound])
            var noCurrency = pay(108, 1)
            noCurrency.currency = nil
            var singleWithTimeout = pay(109, 1)
            singleWithTimeout.timeoutSeconds = 5
            let cases: [(Transfer, TransferResult)] = [
                (pay(0, 1), .idMustNotBeZero),
                (pay(.max, 1), .idMustNotBeIntMax),
                (pay(100, 0), .amountMustNotBeZero),
                (pay(101, -5), .amountMustNotBeNegative),
                (pay(102, 1, from: Accounts.merchant, to: Accounts.merchant), .accountsMustBeDifferent),
                (pay(103, 1, from: 0), .debitAccountIDMustNotBeZero),
                (pay(104, 1, to: 0), .creditAccountIDMustNotBeZero),
                (pay(105, 1, from: 77), .debitAccountNotFound),
                (pay(106, 1, to: 78), .creditAccountNotFound),
                (pay(107, 1, from: Accounts.euroFunding), .currencyMismatch),
                (noCurrency, .currencyMustBeSet),
                (singleWithTimeout, .timeoutReservedForPendingTransfer),
                (pay(110, 1, currency: eur), .currencyMismatch),
                (pay(111, 1, to: Accounts.payout), .accountClosed),
                (post(112, pending: 0, amount: 1), .pendingIDMustNotBeZero),
                (post(113, pending: 113, amount: 1), .pendingIDMustBeDifferent),
                (pay(114, .max), .created),
                (pay(115, 1), .overflowsDebitsPosted),
                (pay(116, 1, kind: .pending), .overflowsDebits),
                (pay(117, 1, from: Accounts.fees), .overflowsCreditsPosted),
                (pay(118, 1, from: Accounts.fees, kind: .pending), .overflowsCredits),
            ]
            for (transfer, expected) in cases {
                #expect(try ledger.createTransfers([transfer]) == [expected], "transfer \(transfer.id)")
            }
            #expect(try balances(ledger, Accounts.merchant) == [0, 0, 0, .max])
            #expect(try ledger.transfers(of: Accounts.merchant).map(\.id) == [114])
            // A submission over the per-submission bound is refused whole.
            let tooMany = (0..<ledger.options.submissionEventsMax + 1).map { pay(LedgerID(1_000 + $0), 1) }
            #expect(throws: LedgerError.tooManyEvents(count: tooMany.count, max: ledger.options.submissionEventsMax)) {
                try ledger.createTransfers(tooMany)
            }
        }
    }

    @Test("transfers of an account: time range and cursor pages", arguments: Backend.allCases)
    func pagination(backend: Backend) throws {
        try withLedger(backend) { ledger, _ in
            try Accounts.create(in: ledger)
            let ids = (1...25).map { LedgerID(100 + $0) }
            #expect(try ledger.createTransfers(ids.map { pay($0, 10) }).allSatisfy { $0 == .created })
            #expect(try ledger.createTransfers([pay(500, 3, from: Accounts.merchant, to: Accounts.payout)]) == [.created])
            var seen: [LedgerID] = []
            var cursor: TransferCursor?
            repeat {
                let page = try ledger.transfers(of: Accounts.merchant, query: TransferQuery(after: cursor, limit: 10))
                seen += page.map(\.id)
                cursor = page.last.map(TransferCursor.init(after:))
                if page.count < 10 { break }
            } while true
            #expect(seen == ids + [500])
            let all = try ledger.transfers(of: Accounts.merchant, query: TransferQuery(limit: 100))
            let middle = try ledger.transfers(of: Accounts.merchant, query: TransferQuery(
                fromTimestamp: all[5].timestamp, toTimestamp: all[9].timestamp, limit: 100))
            #expect(middle.map(\.id) == Array(ids[5...9]))
            #expect(try ledger.transfers(of: Accounts.payout).map(\.id) == [500])
        }
    }
}
