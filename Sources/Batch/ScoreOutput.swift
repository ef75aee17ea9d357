import Foundation
import Rules

/// `--out` and `--summary-json` of CONTRACT.
public enum ScoreOutput {
    /// CSV `row,id,action,score,rules` (+ one column per `let` with features), rows in input order.
    public static func writeDecisions(_ result: ScoreResult, table: BatchTable, ruleSet: RuleSet, to path: String,
                                      emitFeatures: Bool) throws(BatchError) {
        let writer = try FileWriter(path: path)
        var header = "row,id,action,score,rules"
        if emitFeatures { for name in ruleSet.featureNames { header += "," + csvField(name) } }
        writer.append(header + "\n")
        let ruleNames = ruleSet.rules.map { Array($0.name.utf8) }
        let actionNames = ScoreResult.actionsBySeverity.map { Array($0.rawValue.utf8) }
        for position in table.positionsInInputOrder() {
            let position = Int(position)
            writer.appendNumber(Int64(table.rowNumbers[position]))
            writer.append(",")
            if let ids = table.ids { writer.append(csvField(ids[position])) }
            writer.append(",")
            writer.append(actionNames[Int(result.actions[position])])
            writer.append(",")
            writer.appendNumber(result.scores[position])
            writer.append(",")
            var first = true
            for rule in result.fired(position) {
                if !first { writer.append("|") }
                writer.append(ruleNames[Int(rule)])
                first = false
            }
            if emitFeatures {
                for text in result.featureTexts[position] {
                    writer.append(",")
                    writer.append(csvField(text))
                }
            }
            writer.append("\n")
        }
        try writer.close()
    }

    /// CONTRACT's summary object (keys sorted), plus per-rule hits and malformed rows.
    public static func summaryJSON(_ metrics: ScoreMetrics, table: BatchTable) -> String {
        var object: [String: Any] = [
            "rows": metrics.rows,
            "scored_rows": metrics.scoredRows,
            "seconds": (metrics.seconds * 1_000).rounded() / 1_000,
            "rows_per_second": Int(metrics.rowsPerSecond),
            "actions": [
                "allow": metrics.actions[0].count, "challenge": metrics.actions[1].count,
                "review": metrics.actions[2].count, "block": metrics.actions[3].count,
            ],
            "malformed_rows": metrics.malformedRows,
            "phase_seconds": Dictionary(metrics.phaseSeconds.map { ($0.phase, round4($0.seconds)) }, uniquingKeysWith: +),
            "malformed_examples": table.malformedExamples.prefix(5).map { ["row": $0.row, "message": $0.message] },
            "rules": metrics.rules.map { rule -> [String: Any] in
                var entry: [String: Any] = ["name": rule.name, "action": rule.action, "hits": rule.hits, "shadow": rule.isShadow]
                if metrics.hasLabels {
                    entry["fraud_hits"] = rule.fraudHits
                    entry["precision"] = rule.precision.map(round4) ?? NSNull()
                }
                return entry
            },
        ]
        if metrics.hasLabels {
            object["tp"] = metrics.truePositives
            object["fp"] = metrics.falsePositives
            object["fn"] = metrics.falseNegatives
            object["tn"] = metrics.trueNegatives
            object["precision"] = metrics.precision.map(round4) ?? NSNull()
            object["recall"] = metrics.recall.map(round4) ?? NSNull()
            object["recall_at_review_rate"] = metrics.recallAtReviewRate.map(round4) ?? NSNull()
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func round4(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }

    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Buffered writes to a new file (or stdout for `-`): written to `PATH.tmp`
/// and renamed on close, so a failed run never leaves half a file behind.
final class FileWriter {
    private let path: String
    private let temporaryPath: String?
    private let handle: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []

    init(path: String) throws(BatchError) {
        self.path = path
        if path == "-" {
            temporaryPath = nil
            handle = fdopen(dup(1), "w")!
        } else {
            let temporary = path + ".tmp"
            guard let file = fopen(temporary, "w") else {
                throw BatchError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            temporaryPath = temporary
            handle = file
        }
        buffer.reserveCapacity(1 << 20)
    }

    func append(_ text: String) { buffer.append(contentsOf: text.utf8); flushIfFull() }
    func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes); flushIfFull() }

    func appendNumber(_ value: Int64) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { digits in
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(digits[index]) }
        }
    }

    private func flushIfFull() {
        if buffer.count >= 1 << 20 { flush() }
    }

    private var failed = false

    private func flush() {
        guard !buffer.isEmpty else { return }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        if written != buffer.count { failed = true }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws(BatchError) {
        flush()
        if fflush(handle) != 0 { failed = true }
        guard let temporaryPath else {
            if failed { throw BatchError("cannot write \(path)") }
            return
        }
        if fclose(handle) != 0 { failed = true }
        guard !failed else {
            unlink(temporaryPath)
            throw BatchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw BatchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
