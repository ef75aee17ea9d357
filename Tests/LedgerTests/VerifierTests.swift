import Ledger
import Store
import Testing
import TollgateCore

@Suite("Ledger verifier")
struct VerifierTests {
    /// Runs SQL on the test's database behind the ledger's back.
    func tamper(_ location: LedgerLocation, _ sql: String) throws {
        switch location.backend {
        case .sqlite: try SQLiteConnection(path: location.address).execute(sql)
        case .postgres: try PostgresConnection(url: location.address).execute(sql)
        }
    }

    @Test("a balance edited behind the ledger's back is reported, then passes once restored", arguments: Backend.allCases)
    func detectsTampering(backend: Backend) throws {
        try withLedger(backend) { ledger, location in
            try Accounts.create(in: ledger)
            #expect(try ledger.createTransfers([pay(10, 700), pay(11, 300, kind: .pending)]) == [.created, .created])
            #expect(try ledger.verify().holds)

            try tamper(location, "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE currency = 'USD' AND code = 1")
            let broken = try ledger.verify()
            #expect(broken.violations.contains { $0.contains("differ from its transfers") })
            #expect(broken.violations.contains { $0.contains("USD: posted debits 700 != posted credits 701") })
            try tamper(location, "UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE currency = 'USD' AND code = 1")

            // A hold marked posted with no post behind it.
            try tamper(location, "UPDATE ledger_transfers SET pending_state = 2 WHERE kind = 1")
            #expect(try ledger.verify().violations.contains { $0.contains("post/void and its pending transfer disagree") })
            try tamper(location, "UPDATE ledger_transfers SET pending_state = 1 WHERE kind = 1")
            #expect(try ledger.verify().holds)
        }
    }
}
