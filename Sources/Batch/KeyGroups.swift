import CXXHash
import Rules

/// Rows numbered by the value of their key facts (`by card`, `by card, merchant`):
/// what `ColumnarReplay` uses instead of hashed keys. Equal values ⇔ equal
/// group, exactly as equal values give equal counter keys online.
final class KeyGroups {
    private let table: BatchTable
    private var cache: [[String]: (groups: [Int32], count: Int)] = [:]

    init(table: BatchTable) { self.table = table }

    /// Group per row (-1 when a key fact is missing) and the number of groups.
    func groups(for keyFacts: [String]) -> (groups: [Int32], count: Int) {
        if let cached = cache[keyFacts] { return cached }
        let result = compute(keyFacts)
        cache[keyFacts] = result
        return result
    }

    private func compute(_ keyFacts: [String]) -> (groups: [Int32], count: Int) {
        let rowCount = table.rowCount
        let parts = keyFacts.map { ValueColumns.keyParts(of: $0, in: table) }
        if parts.count == 1, let only = parts.first {
            if only.isDense { return (only.values.map { Int32(truncatingIfNeeded: $0) }, only.distinctCount) }
        }
        var groups = [Int32](repeating: -1, count: rowCount)
        var numbers: [[Int64]: Int32] = [:]
        var key = [Int64](repeating: 0, count: parts.count)
        rows: for row in 0..<rowCount {
            for (index, part) in parts.enumerated() {
                let value = part.values[row]
                if part.isDense ? value < 0 : !part.present[row] { continue rows }
                key[index] = value
            }
            if let number = numbers[key] {
                groups[row] = number
            } else {
                let number = Int32(numbers.count)
                numbers[key] = number
                groups[row] = number
            }
        }
        return (groups, numbers.count)
    }
}

/// A fact's column seen as key parts, aggregated values or value hashes.
enum ValueColumns {
    struct KeyPart {
        /// Dense: intern ids (-1 missing); otherwise words with `present`.
        var values: [Int64]
        var present: [Bool]
        var isDense: Bool
        var distinctCount: Int
    }

    static func keyParts(of fact: String, in table: BatchTable) -> KeyPart {
        if fact == "time" {
            return KeyPart(values: table.times, present: [Bool](repeating: true, count: table.rowCount), isDense: false, distinctCount: 0)
        }
        guard let column = table.columns[fact] else {
            return KeyPart(values: [Int64](repeating: -1, count: table.rowCount), present: [], isDense: true, distinctCount: 0)
        }
        if column.type == .string {
            return KeyPart(values: column.stringIDs.map { Int64($0) }, present: [], isDense: true, distinctCount: column.strings.count)
        }
        return KeyPart(values: column.words, present: column.present, isDense: false, distinctCount: 0)
    }

    /// The aggregated fact's word per row (as `FactRecord.word`), nil when missing.
    static func words(of fact: String, in table: BatchTable) -> [Int64?] {
        if fact == "time" { return table.times.map { $0 } }
        guard let column = table.columns[fact], column.type != .string else {
            return [Int64?](repeating: nil, count: table.rowCount)
        }
        return zip(column.words, column.present).map { $1 ? $0 : nil }
    }

    /// The value hash `distinct` counts (as `CounterPlan.hash`), nil when missing.
    static func hashes(of fact: String, in table: BatchTable) -> [UInt64?] {
        func hashWord(_ word: Int64) -> UInt64 {
            var word = word
            return withUnsafeBytes(of: &word) { XXH3_64bits_withSeed($0.baseAddress, $0.count, 0) }
        }
        if fact == "time" { return table.times.map { hashWord($0) } }
        guard let column = table.columns[fact] else { return [UInt64?](repeating: nil, count: table.rowCount) }
        if column.type == .string {
            let hashes = column.strings.hashes
            return column.stringIDs.map { $0 >= 0 ? hashes[Int($0)] : nil }
        }
        return zip(column.words, column.present).map { $1 ? hashWord($0) : nil }
    }
}
