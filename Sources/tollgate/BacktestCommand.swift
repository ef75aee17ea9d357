import Batch
import Foundation
import Rules

/// `tollgate backtest`: two rule sets over the same history, and what changes.
enum BacktestCommand {
    static let usage = """
    usage: tollgate backtest --rules NEW --baseline OLD --input FILE --columns MAP
                             [--label COLUMN] [--currency CODE] [--label-delay DURATION]
                             [--out FILE] [--summary-json FILE] [--metrics-from TIME] [--metrics-to TIME]

    Scores the history with both rule sets (input options as in 'tollgate score') and prints the
    rows whose action changes, by old -> new action; with --label also the fraud newly caught
    and the legitimate payments newly flagged. --out writes the changed rows as CSV
    (row,id,old_action,new_action,old_rules,new_rules).
    """

    static func run(_ arguments: [String]) -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions(arguments, valued: ScoreCommand.valued.union(["baseline"]).subtracting(["report"]), switches: [])
        } catch {
            return TollgateCommand.usageError(error.message)
        }
        if options.wantsHelp {
            print(usage)
            return 0
        }
        guard options.positional.isEmpty else { return TollgateCommand.usageError("backtest takes no positional arguments ('\(options.positional[0])')") }
        for required in ["rules", "baseline", "input", "columns"] where options[required] == nil {
            return TollgateCommand.usageError("backtest needs --\(required); run 'tollgate backtest --help'")
        }
        do throws(BatchError) {
            let job = try ScoreJob(options: options)
            guard let candidate = ScoreCommand.compile(options["rules"]!),
                  let baseline = ScoreCommand.compile(options["baseline"]!) else { return 1 }
            let progress = ProgressReporter()
            let table = try job.load(progress: progress, for: [baseline, candidate])
            var scorer = BatchScorer(ruleSet: baseline, labelDelaySeconds: job.labelDelaySeconds)
            scorer.progress = progress
            let baselineResult = scorer.score(table)
            scorer = BatchScorer(ruleSet: candidate, labelDelaySeconds: job.labelDelaySeconds)
            scorer.progress = progress
            let candidateResult = scorer.score(table)
            let backtest = Backtest(table: table, baseline: (baselineResult, baseline), candidate: (candidateResult, candidate),
                                    timeRange: job.metricsRange)
            if let out = options["out"] {
                try Backtest.writeChanges(table: table, baseline: (baselineResult, baseline), candidate: (candidateResult, candidate), to: out)
            }
            if let path = options["summary-json"] { try ScoreCommand.writeText(backtest.json + "\n", to: path) }
            progress.finish()
            ScoreCommand.reportMalformed(table)
            if options["out"] != "-" { print(backtest.text) }
            return 0
        } catch {
            printError("tollgate: error: \(error.message)")
            return 1
        }
    }
}
