import Foundation
import Rules
import TollgateCore

/// `--out` and `--summary-json` of CONTRACT.
public enum ScoreOutput {
    /// CSV `row,id,action,score,rules` (+ one column per `let` with features), rows in input order.
    /// Rows are formatted on all cores, then written in order.
    public static func writeDecisions(_ result: ScoreResult, table: BatchTable, ruleSet: RuleSet, to path: String,
                                      emitFeatures: Bool, threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) throws(BatchError) {
        let writer = try FileWriter(path: path)
        var header = "row,id,action,score,rules"
        if emitFeatures { for name in ruleSet.featureNames { header += "," + csvField(name) } }
        writer.append(header + "\n")
        let positions = table.positionsInInputOrder()
        let chunkCount = min(threadCount, max(1, positions.count / 50_000 + 1))
        let chunks = ResultSlots<[UInt8]>(count: chunkCount, initial: [])
        let ruleNames = ruleSet.rules.map { Array($0.name.utf8) }
        let actionNames = ScoreResult.actionsBySeverity.map { Array($0.rawValue.utf8) }
        let ids = table.ids, rowNumbers = table.rowNumbers
        ParallelThreads.run(count: chunkCount) { chunk in
            let range = (positions.count * chunk / chunkCount)..<(positions.count * (chunk + 1) / chunkCount)
            var out: [UInt8] = []
            out.reserveCapacity(range.count * 32)
            for index in range {
                let position = Int(positions[index])
                DecimalDigits.append(Int64(rowNumbers[position]), to: &out)
                out.append(UInt8(ascii: ","))
                if let ids { appendCSVField(ids.bytes[ids.range(position)], to: &out) }
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: actionNames[Int(result.actions[position])])
                out.append(UInt8(ascii: ","))
                DecimalDigits.append(result.scores[position], to: &out)
                out.append(UInt8(ascii: ","))
                var first = true
                for rule in result.fired(position) {
                    if !first { out.append(UInt8(ascii: "|")) }
                    out.append(contentsOf: ruleNames[Int(rule)])
                    first = false
                }
                if emitFeatures {
                    for text in result.featureTexts[position] {
                        out.append(UInt8(ascii: ","))
                        appendCSVField(Array(text.utf8)[...], to: &out)
                    }
                }
                out.append(UInt8(ascii: "\n"))
            }
            chunks.set(chunk, out)
        }
        for chunk in chunks.values { writer.append(chunk) }
        try writer.close()
    }

    static func appendCSVField(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let needsQuotes = bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needsQuotes else { return out.append(contentsOf: bytes) }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
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
