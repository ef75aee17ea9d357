import Foundation
import Ledger
import Store
import Testing
import TollgateCore

/// The two stores every ledger test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The throwaway server `scripts/with-test-servers` (run by `make test`) started.
    static var postgresURL: String? { ProcessInfo.processInfo.environment["TOLLGATE_TEST_POSTGRES_URL"] }
    static var serversRequired: Bool { ProcessInfo.processInfo.environment["TOLLGATE_REQUIRE_SERVERS"] == "1" }
}

/// A clock tests move by hand (nanoseconds since 1970).
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var nanoseconds: Int64 = 1_800_000_000 * 1_000_000_000

    var now: Int64 { lock.withLock { nanoseconds } }
    func advance(seconds: Int64) { lock.withLock { nanoseconds += seconds * 1_000_000_000 } }
}

/// A fresh, empty ledger for one test: a temporary SQLite file, or a new schema
/// in the test PostgreSQL database. After the body, the invariants must hold.
func withLedger(
    _ backend: Backend, options: LedgerOptions = LedgerOptions(),
    _ body: (Ledger, LedgerLocation) throws -> Void
) throws {
    guard let location = try LedgerLocation.fresh(backend) else { return }
    defer { location.remove() }
    let ledger = try location.open(options: options)
    try body(ledger, location)
    let verification = try ledger.verify()
    #expect(verification.violations == [], "ledger invariants after the test")
    ledger.close()
}

/// Where one test's ledger lives, so a test can reopen it (restart) or open a second process on it.
struct LedgerLocation: Sendable {
    let backend: Backend
    /// SQLite file path, or a PostgreSQL connection URL with its own search_path.
    let address: String
    let directory: String?

    /// Nil when the backend is not available here (PostgreSQL outside `make test`).
    static func fresh(_ backend: Backend) throws -> LedgerLocation? {
        switch backend {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "tollgate-ledger-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return LedgerLocation(backend: backend, address: directory + "/tollgate.db", directory: directory)
        case .postgres:
            guard let base = Backend.postgresURL else {
                if Backend.serversRequired { Issue.record("TOLLGATE_TEST_POSTGRES_URL is not set") }
                print("skipping PostgreSQL: TOLLGATE_TEST_POSTGRES_URL is not set (run the tests through `make test`)")
                return nil
            }
            let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let admin = try PostgresConnection(url: base)
            try admin.execute("CREATE SCHEMA \(schema)")
            return LedgerLocation(backend: backend, address: base + "?options=-csearch_path%3D\(schema)", directory: nil)
        }
    }

    func open(options: LedgerOptions = LedgerOptions()) throws -> Ledger {
        switch backend {
        case .sqlite: return try Ledger.openSQLite(path: address, options: options)
        case .postgres: return try Ledger.openPostgres(url: address, options: options)
        }
    }

    func remove() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

let usd = Currency(code: "USD")!
let eur = Currency(code: "EUR")!

/// Accounts most tests use: a customer funding source (may go negative: it
/// stands for money outside the ledger), a merchant that must not be overdrawn,
/// and a second currency.
enum Accounts {
    static let funding: LedgerID = 1
    static let merchant: LedgerID = 2
    static let fees: LedgerID = 3
    static let euroFunding: LedgerID = 4
    static let payout: LedgerID = 5

    static func create(in ledger: Ledger) throws {
        let results = try ledger.createAccounts([
            Account(id: funding, currency: usd, code: AccountCode.customerFundingSource.rawValue),
            Account(id: merchant, currency: usd, code: AccountCode.merchantAvailable.rawValue, flags: .debitsMustNotExceedCredits),
            Account(id: fees, currency: usd, code: AccountCode.gatewayFees.rawValue),
            Account(id: euroFunding, currency: eur, code: AccountCode.customerFundingSource.rawValue),
            Account(id: payout, currency: usd, code: AccountCode.payoutClearing.rawValue),
        ])
        #expect(results == Array(repeating: .created, count: 5))
    }
}

func pay(_ id: LedgerID, _ amount: Int64, from debit: LedgerID = Accounts.funding, to credit: LedgerID = Accounts.merchant,
         kind: TransferKind = .single, currency: Currency? = usd, linked: Bool = false, timeoutSeconds: UInt32 = 0) -> Transfer {
    Transfer(id: id, debitAccountID: debit, creditAccountID: credit, amount: amount, currency: currency,
             kind: kind, timeoutSeconds: timeoutSeconds, isLinked: linked)
}

func post(_ id: LedgerID, pending: LedgerID, amount: Int64, linked: Bool = false) -> Transfer {
    Transfer(id: id, amount: amount, kind: .postPending, pendingID: pending, isLinked: linked)
}

func void(_ id: LedgerID, pending: LedgerID) -> Transfer {
    Transfer(id: id, amount: 0, kind: .voidPending, pendingID: pending)
}

/// (debits pending, debits posted, credits pending, credits posted)
func balances(_ ledger: Ledger, _ id: LedgerID) throws -> [Int64] {
    let account = try #require(try ledger.account(id: id))
    return [account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted]
}
