import Batch
import Fingerprints
import Foundation
import Rules
import RulesIO
import TollgateCore

/// `tollgate score`: a history through a rule file, each row as of its own time.
enum ScoreCommand {
    static let usage = """
    usage: tollgate score --rules FILE --input FILE --columns MAP
                          [--label COLUMN] [--currency CODE] [--out FILE]
                          [--emit-features] [--report FILE.html] [--summary-json FILE]
                          [--label-delay DURATION] [--metrics-from TIME] [--metrics-to TIME]

      --input          .csv, .csv.gz, .jsonl, .jsonl.gz, or - for CSV on stdin (gzip is recognized by content)
      --columns        fact=column pairs, e.g. time=TX_DATETIME,amount=TX_AMOUNT,customer=CUSTOMER_ID,id=TRANSACTION_ID
      --label          the truth column (1/0, true/false); fraud labels feed `outcome == "fraud"` counters
                       only --label-delay (default 7d) after the payment
      --currency       currency of `amount` when no currency column is mapped (default USD)
      --out            CSV: row,id,action,score,rules (+ every `let` feature with --emit-features), input order
      --summary-json   rows, seconds, rows_per_second, actions, and with --label tp/fp/fn/tn/precision/recall
      --report         a self-contained HTML report (inline SVG)
      --metrics-from/--metrics-to
                       count only rows with from <= time < to in the metrics (all rows are still scored,
                       so counters see the history before `from`)
    Exit 0 on success, 1 when the input or columns are wrong, 2 for a wrong command line.
    """

    static let valued: Set<String> = ["rules", "input", "columns", "label", "currency", "out", "report", "summary-json",
                                      "label-delay", "metrics-from", "metrics-to"]

    static func run(_ arguments: [String]) -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions(arguments, valued: valued, switches: ["emit-features"])
        } catch {
            return TollgateCommand.usageError(error.message)
        }
        if options.wantsHelp {
            print(usage)
            return 0
        }
        guard options.positional.isEmpty else { return TollgateCommand.usageError("score takes no positional arguments ('\(options.positional[0])')") }
        for required in ["rules", "input", "columns"] where options[required] == nil {
            return TollgateCommand.usageError("score needs --\(required); run 'tollgate score --help'")
        }
        do throws(BatchError) {
            let job = try ScoreJob(options: options)
            guard let ruleSet = compile(options["rules"]!) else { return 1 }
            let progress = ProgressReporter()
            let table = try job.load(progress: progress, for: [ruleSet])
            var scorer = BatchScorer(ruleSet: ruleSet, labelDelaySeconds: job.labelDelaySeconds)
            scorer.emitFeatures = options.has("emit-features")
            scorer.progress = progress
            var result = scorer.score(table)
            result.seconds += table.loadSeconds
            result.phaseSeconds.insert(("read", table.loadSeconds), at: 0)
            if let out = options["out"] {
                progress.update(phase: "writing \(out)", fraction: 1)
                let writeStarted = Date()
                try ScoreOutput.writeDecisions(result, table: table, ruleSet: ruleSet, to: out, emitFeatures: scorer.emitFeatures)
                // The decisions written are part of the end-to-end time.
                let writeSeconds = Date().timeIntervalSince(writeStarted)
                result.seconds += writeSeconds
                result.phaseSeconds.append(("write", writeSeconds))
            }
            let metrics = ScoreMetrics(result: result, table: table, ruleSet: ruleSet, timeRange: job.metricsRange)
            if let path = options["summary-json"] {
                try writeText(ScoreOutput.summaryJSON(metrics, table: table) + "\n", to: path)
            }
            if let path = options["report"] {
                try writeText(HTMLReport.render(metrics, title: "Tollgate score: \(ruleSet.path) on \(options["input"]!)",
                                                ruleSetHash: ruleSet.hash), to: path)
            }
            progress.finish()
            reportMalformed(table)
            if options["out"] != "-" { print(ScoreText.describe(metrics)) }
            return 0
        } catch {
            printError("tollgate: error: \(error.message)")
            return 1
        }
    }

    static func compile(_ path: String, lists: ListResolution = .declaredOnly) -> RuleSet? {
        do {
            let result = try RuleFiles.compile(path: path, lists: lists)
            for diagnostic in result.renderedDiagnostics() where diagnostic.contains(": error:") { printError(diagnostic) }
            guard let ruleSet = result.ruleSet else {
                printError("tollgate: error: \(path) does not compile")
                return nil
            }
            return ruleSet
        } catch {
            printError("tollgate: error: \(path): \(error.message)")
            return nil
        }
    }

    static func reportMalformed(_ table: BatchTable) {
        guard table.malformedCount > 0 else { return }
        printError("tollgate: \(table.malformedCount) malformed row\(table.malformedCount == 1 ? "" : "s") skipped:")
        for example in table.malformedExamples.prefix(5) { printError("  row \(example.row): \(example.message)") }
        if table.malformedCount > 5 { printError("  ... and \(table.malformedCount - 5) more") }
    }

    static func writeText(_ text: String, to path: String) throws(BatchError) {
        let temporary = path + ".tmp"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw BatchError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw BatchError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// The options `score` and `backtest` share: input, columns, label, delay, range.
struct ScoreJob {
    let input: String
    let map: ColumnMap
    let currency: Currency
    let labelDelaySeconds: Int64
    let metricsRange: Range<Int64>?

    init(options: CommandLineOptions) throws(BatchError) {
        input = options["input"]!
        var map = try ColumnMap.parse(options["columns"]!)
        if let label = options["label"] { try map.setLabel(label) }
        self.map = map
        let code = (options["currency"] ?? "USD").uppercased()
        guard let currency = Currency(code: code) else { throw BatchError("--currency: '\(code)' is not an ISO 4217 currency") }
        self.currency = currency
        let delayText = options["label-delay"] ?? "7d"
        guard let delay = BatchTimes.durationSeconds(delayText), delay >= 0 else {
            throw BatchError("--label-delay: '\(delayText)' is not a duration (e.g. 7d, 36h, 3600)")
        }
        labelDelaySeconds = delay
        let from = try options["metrics-from"].map { (text) throws(BatchError) -> Int64 in try Self.time(text, option: "metrics-from") }
        let to = try options["metrics-to"].map { (text) throws(BatchError) -> Int64 in try Self.time(text, option: "metrics-to") }
        if from != nil || to != nil {
            let lower = from ?? .min, upper = to ?? .max
            guard lower < upper else { throw BatchError("--metrics-from must be before --metrics-to") }
            metricsRange = lower..<upper
        } else {
            metricsRange = nil
        }
    }

    private static func time(_ text: String, option: String) throws(BatchError) -> Int64 {
        guard let time = BatchTimes.epochSeconds(text) else {
            throw BatchError("--\(option): '\(text)' is not a time (epoch seconds, 2018-06-17 or 2018-06-17T00:00:00Z)")
        }
        return time
    }

    /// Loads the history and derives the facts `ruleSets` read but no column holds.
    func load(progress: ProgressReporter?, for ruleSets: [RuleSet]) throws(BatchError) -> BatchTable {
        let table = try TableLoader.load(path: input, map: map, defaultCurrency: currency, progress: progress)
        let wanted = Set(ruleSets.flatMap { $0.layout.slots.map(\.name) })
        for note in DerivedFacts.add(to: table, wanted: wanted, geoIP: { try GeoIPCountry() }) {
            printError("tollgate: note: \(note)")
        }
        return table
    }
}
