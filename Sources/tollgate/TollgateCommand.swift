import Foundation

/// The command tree. Exit codes: 0 success, 1 the work found problems or
/// failed, 2 the command line itself was wrong.
enum TollgateCommand {
    static let usage = """
    usage: tollgate COMMAND [options]

    Tollgate: a payment gateway with a fraud rules engine.

    commands:
      rules check FILE...     compile rule files and report errors and warnings
      rules test FILE...      run the test blocks of rule files
      rules fmt FILE          print a rule file in canonical form (--write rewrites it)
      rules eval FILE FACT=VALUE...
                              score one transaction and show which rules fired and why
      score --rules FILE --input FILE --columns MAP [--label COLUMN] ...
                              score a history (CSV/JSONL, gzip) with counters replayed in time order
      backtest --rules NEW --baseline OLD --input FILE --columns MAP [--label COLUMN] ...
                              compare two rule sets over the same history
      serve [--data DIR] [--host H] [--port P] [--redis URL] [--rules FILE]
                              the HTTP API (merchants, decisions; see README)
      generate --out FILE [--rows N --seed N ...]
                              write seeded labelled payments with fraud scenarios (CSV)
      ledger verify [--data DIR | --database URL]
                              check the ledger's invariants (exit 1 listing each violation)
      ledger load             submit random transfers from many threads (smoke and crash test)

    Run 'tollgate COMMAND --help' for a command's options.
    """

    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            printError(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "--help", "-h", "help":
            print(usage)
            return 0
        case "rules":
            return RulesCommand.run(rest)
        case "ledger":
            return LedgerCommand.run(rest)
        case "score":
            return ScoreCommand.run(rest)
        case "backtest":
            return BacktestCommand.run(rest)
        case "generate":
            return GenerateCommand.run(rest)
        case "serve":
            return ServeCommand.run(rest)
        default:
            return usageError("unknown command '\(command)'; run 'tollgate --help'")
        }
    }

    static func usageError(_ message: String) -> Int32 {
        printError("tollgate: error: \(message)")
        return 2
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
