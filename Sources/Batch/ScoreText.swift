import Foundation

/// The plain-text summary `tollgate score` prints.
public enum ScoreText {
    public static func describe(_ metrics: ScoreMetrics) -> String {
        var lines: [String] = []
        lines.append("scored \(metrics.scoredRows) rows in \(String(format: "%.2f", metrics.seconds)) s (\(Int(metrics.rowsPerSecond)) rows/s)"
                     + (metrics.malformedRows > 0 ? ", \(metrics.malformedRows) malformed skipped" : ""))
        let names = ["allow", "challenge", "review", "block"]
        if metrics.rows != metrics.scoredRows { lines.append("metrics over \(metrics.rows) rows in the --metrics-from/--metrics-to range") }
        lines.append("actions: " + names.enumerated().map { "\($1) \(metrics.actions[$0].count)" }.joined(separator: ", "))
        if metrics.hasLabels {
            lines.append("labels: tp \(metrics.truePositives), fp \(metrics.falsePositives), fn \(metrics.falseNegatives), tn \(metrics.trueNegatives)")
            lines.append("precision \(percent(metrics.precision)), recall \(percent(metrics.recall))"
                         + (metrics.recallAtReviewRate.map { ", recall at the same review rate by score \(percent($0))" } ?? ""))
        }
        let top = metrics.rules.filter { $0.hits > 0 }.sorted { $0.hits > $1.hits }.prefix(10)
        if !top.isEmpty {
            lines.append("rules by hits:")
            for rule in top {
                var line = "  \(rule.name)\(rule.isShadow ? " (shadow)" : "")  \(rule.action)  \(rule.hits)"
                if metrics.hasLabels { line += "  precision \(percent(rule.precision))" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "n/a" }
        return String(format: "%.1f%%", value * 100)
    }
}
