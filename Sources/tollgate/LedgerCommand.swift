import Foundation
import Gateway
import Ledger
import TollgateCore

/// `tollgate ledger verify|load`: the operator's commands on the ledger.
enum LedgerCommand {
    static let usage = """
    usage: tollgate ledger verify [--data DIR | --database URL]
           tollgate ledger load [--data DIR | --database URL] [--submitters N] [--seconds S]
                                [--transfers N] [--batch N] [--seed N] [--acks]

      verify  check the ledger's invariants: per currency, debits equal credits (pending and
              posted); no account beyond its balance limit; every balance equals the sum of
              its transfers; each hold posted or voided at most once. Exit 0 when all hold,
              1 with each violation listed.
      load    submit random transfers from N threads (default 8) for S seconds (default 10)
              or until N transfers (a smoke and crash test; it creates its own accounts).
              --acks prints "ack <id>" for each transfer once it is durable.

      --data DIR        the embedded SQLite store (default ./data: DIR/tollgate.db)
      --database URL    a PostgreSQL database (postgres://…)
    """

    static func run(_ arguments: [String]) -> Int32 {
        guard let subcommand = arguments.first else {
            printError(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions(
                rest, valued: ["data", "database", "submitters", "seconds", "transfers", "batch", "seed"], switches: ["acks"])
        } catch {
            return TollgateCommand.usageError(error.message)
        }
        if options.wantsHelp || subcommand == "--help" || subcommand == "-h" || subcommand == "help" {
            print(usage)
            return 0
        }
        switch subcommand {
        case "verify": return verify(options)
        case "load": return LedgerLoad.run(options)
        default:
            return TollgateCommand.usageError("unknown ledger command '\(subcommand)'; expected verify or load")
        }
    }

    /// Opens the ledger the options name; prints a one-line error and returns nil when it cannot.
    static func open(_ options: CommandLineOptions, mustExist: Bool) -> Ledger? {
        if options["data"] != nil && options["database"] != nil {
            printError("tollgate: error: give --data or --database, not both")
            return nil
        }
        do {
            if let url = options["database"] {
                return try Ledger.openPostgres(url: url)
            }
            let directory = options["data"] ?? "data"
            let path = DataDirectory.databasePath(directory)
            if mustExist && !FileManager.default.fileExists(atPath: path) {
                printError("tollgate: error: no ledger at \(path)")
                return nil
            }
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try Ledger.openSQLite(path: path)
        } catch {
            printError("tollgate: error: cannot open the ledger: \(error)")
            return nil
        }
    }

    static func verify(_ options: CommandLineOptions) -> Int32 {
        guard options.positional.isEmpty else {
            return TollgateCommand.usageError("ledger verify takes no arguments, got '\(options.positional[0])'")
        }
        guard let ledger = open(options, mustExist: true) else { return 1 }
        defer { ledger.close() }
        let verification: LedgerVerification
        do {
            verification = try ledger.verify()
        } catch {
            printError("tollgate: error: cannot read the ledger: \(error)")
            return 1
        }
        var chargeProblems: [String] = []
        let database: GatewayDatabase = options["database"].map { .postgres(url: $0) }
            ?? .sqlite(path: DataDirectory.databasePath(options["data"] ?? "data"))
        do {
            chargeProblems = try ChargeVerifier.violations(database: database, ledger: ledger)
        } catch {
            printError("tollgate: error: cannot read the charges: \(error)")
            return 1
        }
        for violation in verification.violations { printError("violation: \(violation)") }
        for problem in chargeProblems { printError("violation: \(problem)") }
        for (code, totals) in verification.totalsByCurrency.sorted(by: { $0.key < $1.key }) {
            print("\(code): debits pending \(totals.debitsPending) posted \(totals.debitsPosted); credits pending \(totals.creditsPending) posted \(totals.creditsPosted)")
        }
        if verification.holds && chargeProblems.isEmpty {
            print("ledger ok: \(verification.accountCount) accounts, \(verification.transferCount) transfers, all invariants hold")
            return 0
        }
        print("ledger has \(verification.violations.count + chargeProblems.count) violation(s)")
        return 1
    }
}

/// Where `--data DIR` keeps the embedded database (the gateway shares the file).
enum DataDirectory {
    static func databasePath(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent("tollgate.db")
    }
}
