import TollgateCore
import Rules

/// One mapped fact's values for every loaded row, typed as the fact catalog
/// says: strings interned (4 bytes a row), everything else one word a row as
/// in `FactRecord` (money in 1/10,000 major units).
final class FactColumn {
    let fact: String
    let type: ValueType
    var words: [Int64] = []
    var present: [Bool] = []
    /// Strings: intern id per row, -1 when missing.
    var stringIDs: [Int32] = []
    var strings = InternTable()

    init(fact: String, type: ValueType) {
        self.fact = fact
        self.type = type
    }

    var count: Int { type == .string ? stringIDs.count : words.count }

    /// Appends one row's text (empty = missing). Returns an error message when
    /// the text is not a value of the fact's type; the row is then dropped by
    /// the caller (`truncate`).
    func append(_ text: UnsafeBufferPointer<UInt8>, currencyExponent: Int) -> String? {
        if type == .string {
            stringIDs.append(text.isEmpty ? -1 : strings.intern(text))
            return nil
        }
        if text.isEmpty {
            words.append(0)
            present.append(false)
            return nil
        }
        guard let word = FactColumn.parse(text, type: type, currencyExponent: currencyExponent) else {
            return "\(fact): '\(String(decoding: text.prefix(40), as: UTF8.self))' is not \(type.article)"
        }
        words.append(word)
        present.append(true)
        return nil
    }

    func appendMissing() {
        if type == .string { stringIDs.append(-1) } else { words.append(0); present.append(false) }
    }

    func truncate(to rowCount: Int) {
        if type == .string {
            if stringIDs.count > rowCount { stringIDs.removeLast(stringIDs.count - rowCount) }
        } else if words.count > rowCount {
            words.removeLast(words.count - rowCount)
            present.removeLast(present.count - rowCount)
        }
    }

    /// Reorders rows: new row i is old row `order[i]`.
    func permute(_ order: [Int32]) {
        if type == .string {
            stringIDs = order.map { stringIDs[Int($0)] }
        } else {
            words = order.map { words[Int($0)] }
            present = order.map { present[Int($0)] }
        }
    }

    /// Writes row `row` into `slot` of `record`.
    @inline(__always)
    func write(row: Int, into record: FactRecord, slot: Int) {
        if type == .string {
            let id = stringIDs[row]
            if id >= 0 { record.setString(slot, strings.strings[Int(id)]) } else { record.setMissing(slot) }
        } else if present[row] {
            record.setWord(slot, words[row])
        } else {
            record.setMissing(slot)
        }
    }

    static func parse(_ text: UnsafeBufferPointer<UInt8>, type: ValueType, currencyExponent: Int) -> Int64? {
        switch type {
        case .money:
            guard let minor = DecimalText.parse(text, scale: currencyExponent) else { return nil }
            return MoneyScale.fromMinorUnits(minor, exponent: currencyExponent)
        case .timestamp:
            return TimeText.parse(text)
        case .integer:
            return Int64(String(decoding: text, as: UTF8.self))
        case .duration:
            return DurationText.parseSeconds(text)
        case .country:
            return CountryCode.pack(text)
        case .bool:
            return BoolText.parse(text).map { $0 ? 1 : 0 }
        case .decimal:
            guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
            return Int64(bitPattern: value.bitPattern)
        case .string:
            return nil
        }
    }
}

/// Truth columns: 1/0, true/false, yes/no (any case).
enum BoolText {
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        if text.count == 1 {
            switch text[0] {
            case UInt8(ascii: "1"): return true
            case UInt8(ascii: "0"): return false
            default: break
            }
        }
        switch String(decoding: text, as: UTF8.self).lowercased() {
        case "1", "true", "yes", "t", "y": return true
        case "0", "false", "no", "f", "n": return false
        default: return nil
        }
    }
}

/// Durations in input: seconds (`3600`) or a count with a unit (`90d`, `1h`, `30m`, `45s`, `2w`).
enum DurationText {
    static func parseSeconds(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        let string = String(decoding: text, as: UTF8.self)
        if let seconds = Int64(string) { return seconds }
        guard let unit = string.last, let count = Int64(string.dropLast()) else { return nil }
        let size: Int64
        switch unit {
        case "s": size = 1
        case "m": size = 60
        case "h": size = 3_600
        case "d": size = 86_400
        case "w": size = 604_800
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: size)
        return overflow ? nil : seconds
    }
}
