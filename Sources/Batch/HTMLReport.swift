import Foundation

/// `--report`: one self-contained HTML file (inline CSS and SVG, nothing
/// fetched) with what an analyst looks at first: headline metrics, confusion
/// matrix, precision and recall per action and per rule, recall at the review
/// rate, the precision-recall curve of the score, score histograms by label,
/// decisions per day and the top rules by hits.
public enum HTMLReport {
    public static func render(_ metrics: ScoreMetrics, title: String, ruleSetHash: String) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>\(HTMLText.escape(title))</title>
        <style>
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 16px}
        h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .muted{color:#777}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
        .card{border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:130px}
        .card b{display:block;font-size:22px}table{border-collapse:collapse;margin:8px 0}
        td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:right}th{background:#fafafa}
        td:first-child,th:first-child{text-align:left}.chart{width:100%;height:auto;font-size:11px}
        .axis{stroke:#555}.grid{stroke:#eee}.label{fill:#444;font-size:11px}
        </style></head><body>
        <h1>\(HTMLText.escape(title))</h1>
        <div class="muted">rule set \(HTMLText.escape(ruleSetHash)) · \(metrics.rows) rows · \(String(format: "%.2f", metrics.seconds)) s · \(Int(metrics.rowsPerSecond)) rows/s\(metrics.malformedRows > 0 ? " · \(metrics.malformedRows) malformed rows skipped" : "")</div>

        """
        html += headline(metrics)
        if metrics.hasLabels { html += confusion(metrics) }
        html += actionsTable(metrics)
        if metrics.hasLabels && !metrics.curve.isEmpty {
            html += "<h2>Precision and recall of the score</h2><p class=\"muted\">Flagging every row whose score is at least a threshold, for every threshold; the red dot is what the rules decided (any action but allow).</p>"
            html += SVGChart.precisionRecall(metrics.curve.map { ($0.recall, $0.precision) },
                                             marked: metrics.precision.flatMap { p in metrics.recall.map { ($0, p) } })
            html += scoreHistogram(metrics)
        }
        html += perDay(metrics)
        html += rulesSection(metrics)
        html += "</body></html>\n"
        return html
    }

    private static func headline(_ metrics: ScoreMetrics) -> String {
        var cards: [(String, String)] = [
            ("rows", "\(metrics.rows)"),
            ("flagged", percent(metrics.rows > 0 ? Double(metrics.flagged) / Double(metrics.rows) : nil)),
        ]
        if metrics.hasLabels {
            cards.append(("precision", percent(metrics.precision)))
            cards.append(("recall", percent(metrics.recall)))
            cards.append(("recall at review rate (by score)", percent(metrics.recallAtReviewRate)))
            let fraud = metrics.truePositives + metrics.falseNegatives
            cards.append(("fraud rate", percent(metrics.rows > 0 ? Double(fraud) / Double(metrics.rows) : nil)))
        }
        return "<div class=\"cards\">" + cards.map { "<div class=\"card\"><span class=\"muted\">\(HTMLText.escape($0.0))</span><b>\($0.1)</b></div>" }.joined() + "</div>\n"
    }

    private static func confusion(_ metrics: ScoreMetrics) -> String {
        """
        <h2>Confusion matrix</h2><p class="muted">Flagged = any action but allow.</p>
        <table><tr><th></th><th>flagged</th><th>allowed</th><th>total</th></tr>
        <tr><td>fraud</td><td>\(metrics.truePositives) (tp)</td><td>\(metrics.falseNegatives) (fn)</td><td>\(metrics.truePositives + metrics.falseNegatives)</td></tr>
        <tr><td>legitimate</td><td>\(metrics.falsePositives) (fp)</td><td>\(metrics.trueNegatives) (tn)</td><td>\(metrics.falsePositives + metrics.trueNegatives)</td></tr>
        </table>

        """
    }

    private static func actionsTable(_ metrics: ScoreMetrics) -> String {
        let names = ["allow", "challenge", "review", "block"]
        let fraudTotal = metrics.truePositives + metrics.falseNegatives
        var html = "<h2>Actions</h2><table><tr><th>action</th><th>rows</th><th>share</th>"
        if metrics.hasLabels { html += "<th>fraud</th><th>precision</th><th>share of all fraud</th>" }
        html += "</tr>"
        for (index, name) in names.enumerated() {
            let count = metrics.actions[index]
            html += "<tr><td>\(name)</td><td>\(count.count)</td><td>\(percent(metrics.rows > 0 ? Double(count.count) / Double(metrics.rows) : nil))</td>"
            if metrics.hasLabels {
                html += "<td>\(count.fraud)</td><td>\(percent(count.count > 0 ? Double(count.fraud) / Double(count.count) : nil))</td>"
                html += "<td>\(percent(fraudTotal > 0 ? Double(count.fraud) / Double(fraudTotal) : nil))</td>"
            }
            html += "</tr>"
        }
        return html + "</table>\n"
    }

    private static func scoreHistogram(_ metrics: ScoreMetrics) -> String {
        guard !metrics.scoreBuckets.isEmpty else { return "" }
        let legitimateTotal = Double(max(1, metrics.scoreCountsLegitimate.reduce(0, +)))
        let fraudTotal = Double(max(1, metrics.scoreCountsFraud.reduce(0, +)))
        return "<h2>Score distribution by label</h2><p class=\"muted\">Share of each label's rows per score bucket (bucket lower bound shown).</p>"
            + SVGChart.groupedBars(labels: metrics.scoreBuckets.map { String($0) },
                                   series: [("legitimate", metrics.scoreCountsLegitimate.map { Double($0) / legitimateTotal }),
                                            ("fraud", metrics.scoreCountsFraud.map { Double($0) / fraudTotal })],
                                   yTitle: "share of rows", colors: ["#1565c0", "#c62828"])
    }

    private static func perDay(_ metrics: ScoreMetrics) -> String {
        guard !metrics.days.isEmpty else { return "" }
        let names = ["allow", "challenge", "review", "block"]
        var html = "<h2>Decisions per day</h2><p class=\"muted\">Flagged rows per day by action (allowed rows are in the table below).</p>"
        html += SVGChart.stackedBars(labels: metrics.days.map { String($0.day.dropFirst(5)) },
                                     series: (1..<4).map { index in (names[index], metrics.days.map { Double($0.actions[index]) }) },
                                     yTitle: "flagged rows")
        html += "<details><summary>per-day table</summary><table><tr><th>day</th><th>allow</th><th>challenge</th><th>review</th><th>block</th>"
        if metrics.hasLabels { html += "<th>fraud</th><th>fraud flagged</th>" }
        html += "</tr>"
        for day in metrics.days {
            html += "<tr><td>\(day.day)</td>" + day.actions.map { "<td>\($0)</td>" }.joined()
            if metrics.hasLabels { html += "<td>\(day.fraud)</td><td>\(day.fraudFlagged)</td>" }
            html += "</tr>"
        }
        return html + "</table></details>\n"
    }

    private static func rulesSection(_ metrics: ScoreMetrics) -> String {
        let byHits = metrics.rules.filter { $0.hits > 0 }.sorted { $0.hits > $1.hits }
        var html = "<h2>Top rules by hits</h2>"
        if byHits.isEmpty { return html + "<p>No rule fired.</p>" }
        html += SVGChart.horizontalBars(byHits.prefix(15).map { rule in
            let note = metrics.hasLabels ? "\(rule.hits) hits, precision \(percent(rule.precision))" : "\(rule.hits) hits"
            return (rule.name + (rule.isShadow ? " (shadow)" : ""), Double(rule.hits), note)
        })
        html += "<h2>Every rule</h2><table><tr><th>rule</th><th>action</th><th>hits</th><th>share of rows</th>"
        if metrics.hasLabels { html += "<th>fraud hits</th><th>precision</th><th>recall</th>" }
        html += "</tr>"
        let fraudTotal = metrics.truePositives + metrics.falseNegatives
        for rule in metrics.rules {
            html += "<tr><td>\(HTMLText.escape(rule.name))\(rule.isShadow ? " <span class=\"muted\">(shadow)</span>" : "")</td>"
            html += "<td>\(HTMLText.escape(rule.action))</td><td>\(rule.hits)</td><td>\(percent(metrics.rows > 0 ? Double(rule.hits) / Double(metrics.rows) : nil))</td>"
            if metrics.hasLabels {
                html += "<td>\(rule.fraudHits)</td><td>\(percent(rule.precision))</td><td>\(percent(fraudTotal > 0 ? Double(rule.fraudHits) / Double(fraudTotal) : nil))</td>"
            }
            html += "</tr>"
        }
        return html + "</table>\n"
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "–" }
        return String(format: "%.1f%%", value * 100)
    }
}
