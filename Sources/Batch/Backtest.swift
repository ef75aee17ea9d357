import Foundation
import Rules

/// `tollgate backtest`: the same history under a baseline and a new rule set,
/// and what changes between them.
public struct Backtest: Sendable {
    /// Rows per (old action, new action), by severity.
    public var transitions = [[Int]](repeating: [Int](repeating: 0, count: 4), count: 4)
    public var rows = 0
    public var changedRows = 0
    public var hasLabels = false
    /// Fraud allowed by the baseline and flagged by the new rules, and the reverse.
    public var fraudNewlyCaught = 0, fraudNoLongerCaught = 0
    /// Legitimate payments flagged by the new rules but allowed by the baseline, and the reverse.
    public var legitimateNewlyFlagged = 0, legitimateNoLongerFlagged = 0
    public let baseline: ScoreMetrics
    public let candidate: ScoreMetrics

    public init(table: BatchTable, baseline: (ScoreResult, RuleSet), candidate: (ScoreResult, RuleSet), timeRange: Range<Int64>? = nil) {
        self.baseline = ScoreMetrics(result: baseline.0, table: table, ruleSet: baseline.1, timeRange: timeRange)
        self.candidate = ScoreMetrics(result: candidate.0, table: table, ruleSet: candidate.1, timeRange: timeRange)
        hasLabels = table.labels != nil
        for position in 0..<table.rowCount {
            if let timeRange, !timeRange.contains(table.times[position]) { continue }
            rows += 1
            let old = Int(baseline.0.actions[position]), new = Int(candidate.0.actions[position])
            transitions[old][new] += 1
            if old != new { changedRows += 1 }
            guard let labels = table.labels else { continue }
            let wasFlagged = old != 0, isFlagged = new != 0
            guard wasFlagged != isFlagged else { continue }
            switch (labels[position], isFlagged) {
            case (true, true): fraudNewlyCaught += 1
            case (true, false): fraudNoLongerCaught += 1
            case (false, true): legitimateNewlyFlagged += 1
            case (false, false): legitimateNoLongerFlagged += 1
            }
        }
    }

    static let names = ["allow", "challenge", "review", "block"]

    public var text: String {
        var lines = ["rows \(rows); \(changedRows) change action (\(ScoreText.percent(rows > 0 ? Double(changedRows) / Double(rows) : nil)))"]
        lines.append("old -> new action:")
        for old in 0..<4 {
            for new in 0..<4 where old != new && transitions[old][new] > 0 {
                lines.append("  \(Self.names[old]) -> \(Self.names[new]): \(transitions[old][new])")
            }
        }
        if hasLabels {
            lines.append("fraud newly caught: \(fraudNewlyCaught); fraud no longer caught: \(fraudNoLongerCaught)")
            lines.append("legitimate newly flagged: \(legitimateNewlyFlagged); legitimate no longer flagged: \(legitimateNoLongerFlagged)")
            lines.append("baseline: precision \(ScoreText.percent(baseline.precision)), recall \(ScoreText.percent(baseline.recall)), flagged \(baseline.flagged)")
            lines.append("new:      precision \(ScoreText.percent(candidate.precision)), recall \(ScoreText.percent(candidate.recall)), flagged \(candidate.flagged)")
        } else {
            lines.append("flagged: baseline \(baseline.flagged), new \(candidate.flagged)")
        }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        var transitionList: [[String: Any]] = []
        for old in 0..<4 {
            for new in 0..<4 where old != new && transitions[old][new] > 0 {
                transitionList.append(["from": Self.names[old], "to": Self.names[new], "rows": transitions[old][new]])
            }
        }
        var object: [String: Any] = [
            "rows": rows, "changed_rows": changedRows, "transitions": transitionList,
            "baseline_flagged": baseline.flagged, "new_flagged": candidate.flagged,
        ]
        if hasLabels {
            object["fraud_newly_caught"] = fraudNewlyCaught
            object["fraud_no_longer_caught"] = fraudNoLongerCaught
            object["legitimate_newly_flagged"] = legitimateNewlyFlagged
            object["legitimate_no_longer_flagged"] = legitimateNoLongerFlagged
            object["baseline_precision"] = baseline.precision.map(ScoreOutput.round4) ?? NSNull()
            object["baseline_recall"] = baseline.recall.map(ScoreOutput.round4) ?? NSNull()
            object["new_precision"] = candidate.precision.map(ScoreOutput.round4) ?? NSNull()
            object["new_recall"] = candidate.recall.map(ScoreOutput.round4) ?? NSNull()
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// CSV of the rows whose action changed: row,id,old_action,new_action,old_rules,new_rules (input order).
    public static func writeChanges(table: BatchTable, baseline: (ScoreResult, RuleSet), candidate: (ScoreResult, RuleSet),
                                    to path: String) throws(BatchError) {
        let writer = try FileWriter(path: path)
        writer.append("row,id,old_action,new_action,old_rules,new_rules\n")
        for position in table.positionsInInputOrder() {
            let position = Int(position)
            let old = baseline.0.actions[position], new = candidate.0.actions[position]
            guard old != new else { continue }
            let oldRules = baseline.0.fired(position).map { baseline.1.rules[Int($0)].name }.joined(separator: "|")
            let newRules = candidate.0.fired(position).map { candidate.1.rules[Int($0)].name }.joined(separator: "|")
            writer.append("\(table.rowNumbers[position]),\(ScoreOutput.csvField(table.ids.map { $0[position] } ?? "")),\(names[Int(old)]),\(names[Int(new)]),\(oldRules),\(newRules)\n")
        }
        try writer.close()
    }
}
