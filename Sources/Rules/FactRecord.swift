import TollgateCore

/// Where each fact and feature of one compiled rule set lives in a `FactRecord`.
/// Slots are assigned at compile time, so evaluation never looks a name up.
public struct RecordLayout: Sendable {
    public struct Slot: Sendable {
        public let name: String
        public let type: ValueType
        public let index: Int
    }

    public private(set) var slots: [Slot] = []
    private var indexByName: [String: Int] = [:]

    /// The slot of a fact or aggregate feature, assigning one on first use.
    mutating func slot(for name: String, type: ValueType) -> Int {
        if let index = indexByName[name] { return index }
        let index = slots.count
        slots.append(Slot(name: name, type: type, index: index))
        indexByName[name] = index
        return index
    }

    /// The slot holding a fact or aggregate feature, if any rule reads it.
    public func slot(named name: String) -> Slot? {
        indexByName[name].map { slots[$0] }
    }
}

/// One transaction's facts and precomputed feature values, laid out for one
/// rule set. Reused across evaluations (call `reset()`); not thread-safe: each
/// thread or request owns its own record.
public final class FactRecord {
    public let layout: RecordLayout
    /// Integer-like values: integers, money (1/10,000 major units), durations,
    /// timestamps, packed countries, bools (0/1); decimals as bit patterns.
    @usableFromInline let words: UnsafeMutablePointer<Int64>
    @usableFromInline let present: UnsafeMutablePointer<Bool>
    @usableFromInline let strings: UnsafeMutablePointer<String>
    /// The minor-unit exponent of the transaction's currency (USD 2), for money facts.
    public var currencyExponent: Int = 2
    /// Runtime list items for rule sets compiled `.withRuntimeLists`; nil reads none.
    public var runtimeLists: (any RuntimeLists)?

    public init(layout: RecordLayout) {
        self.layout = layout
        let count = max(1, layout.slots.count)
        words = .allocate(capacity: count)
        words.initialize(repeating: 0, count: count)
        present = .allocate(capacity: count)
        present.initialize(repeating: false, count: count)
        strings = .allocate(capacity: count)
        strings.initialize(repeating: "", count: count)
    }

    deinit {
        strings.deinitialize(count: max(1, layout.slots.count))
        strings.deallocate()
        words.deallocate()
        present.deallocate()
    }

    /// Marks every slot missing.
    public func reset() {
        present.update(repeating: false, count: max(1, layout.slots.count))
    }

    public func setMissing(_ slot: Int) { present[slot] = false }

    public func isPresent(_ slot: Int) -> Bool { present[slot] }

    @inline(__always)
    public func setWord(_ slot: Int, _ value: Int64) {
        words[slot] = value
        present[slot] = true
    }

    public func setInteger(_ slot: Int, _ value: Int64) { setWord(slot, value) }
    public func setBool(_ slot: Int, _ value: Bool) { setWord(slot, value ? 1 : 0) }
    public func setDuration(_ slot: Int, seconds: Int64) { setWord(slot, seconds) }
    public func setTimestamp(_ slot: Int, epochSeconds: Int64) { setWord(slot, epochSeconds) }

    /// Money in the transaction currency's minor units (`currencyExponent` must be set first).
    public func setMoney(_ slot: Int, minorUnits: Int64) {
        if let scaled = MoneyScale.fromMinorUnits(minorUnits, exponent: currencyExponent) {
            setWord(slot, scaled)
        } else {
            present[slot] = false
        }
    }

    /// Money already in rule units (1/10,000 of a major unit), e.g. from a counter.
    public func setMoney(_ slot: Int, scaledUnits: Int64) { setWord(slot, scaledUnits) }

    public func setDecimal(_ slot: Int, _ value: Double) {
        if value.isNaN { present[slot] = false; return }
        setWord(slot, Int64(bitPattern: value.bitPattern))
    }

    /// A country code; anything but two ASCII letters reads as missing.
    public func setCountry(_ slot: Int, _ code: String) {
        if let packed = CountryCode.pack(code) { setWord(slot, packed) } else { present[slot] = false }
    }

    public func setString(_ slot: Int, _ value: String) {
        strings[slot] = value
        present[slot] = true
    }

    /// Sets a slot from text according to its type (used by tests and batch input).
    /// Returns false when the text does not parse as that type.
    @discardableResult
    public func setParsing(_ slot: Int, _ text: String) -> Bool {
        switch layout.slots[slot].type {
        case .string: setString(slot, text)
        case .country:
            guard let packed = CountryCode.pack(text) else { return false }
            setWord(slot, packed)
        case .integer, .duration, .timestamp:
            guard let value = Int64(text) else { return false }
            setWord(slot, value)
        case .bool:
            switch text.lowercased() {
            case "1", "true": setBool(slot, true)
            case "0", "false": setBool(slot, false)
            default: return false
            }
        case .decimal:
            guard let value = Double(text) else { return false }
            setDecimal(slot, value)
        case .money:
            guard let minor = DecimalText.parse(text.utf8, scale: currencyExponent) else { return false }
            setMoney(slot, minorUnits: minor)
        }
        return true
    }

    /// The raw word of an integer-like slot (see `words`), nil when missing.
    @inlinable @inline(__always) public func word(_ slot: Int) -> Int64? { present[slot] ? words[slot] : nil }
    @inlinable @inline(__always) public func double(_ slot: Int) -> Double? { present[slot] ? Double(bitPattern: UInt64(bitPattern: words[slot])) : nil }
    @inlinable @inline(__always) public func string(_ slot: Int) -> String? { present[slot] ? strings[slot] : nil }

    /// The typed value of a slot, for explanations.
    public func value(_ slot: Int) -> Value {
        guard present[slot] else { return .missing }
        switch layout.slots[slot].type {
        case .string: return .string(strings[slot])
        case .decimal: return .decimal(Double(bitPattern: UInt64(bitPattern: words[slot])))
        case let type: return Value(word: words[slot], type: type)
        }
    }
}

/// A value as reported in decisions ("which rule fired and why") and test failures.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case missing
    case string(String)
    case integer(Int64)
    case decimal(Double)
    /// 1/10,000 of a major unit.
    case money(scaledUnits: Int64)
    case bool(Bool)
    case duration(seconds: Int64)
    case timestamp(epochSeconds: Int64)
    case country(String)

    init(word: Int64, type: ValueType) {
        switch type {
        case .integer: self = .integer(word)
        case .money: self = .money(scaledUnits: word)
        case .bool: self = .bool(word != 0)
        case .duration: self = .duration(seconds: word)
        case .timestamp: self = .timestamp(epochSeconds: word)
        case .country: self = .country(CountryCode.unpack(word))
        case .decimal: self = .decimal(Double(bitPattern: UInt64(bitPattern: word)))
        case .string: self = .missing
        }
    }

    /// Text for people and JSON: money in major units with the currency's decimals.
    public func formatted(currencyExponent: Int = 2) -> String {
        switch self {
        case .missing: return "missing"
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .decimal(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .money(let scaled):
            var digits = max(currencyExponent, 0)
            // Show more decimals only when the value has them (a `5 * avg` may).
            var factor: Int64 = 10_000
            for _ in 0..<digits { factor /= 10 }
            if scaled % max(factor, 1) != 0 { digits = MoneyScale.decimals }
            var divisor: Int64 = 1
            for _ in 0..<(MoneyScale.decimals - digits) { divisor *= 10 }
            return DecimalText.format(units: scaled / divisor, scale: digits)
        case .bool(let b): return b ? "true" : "false"
        case .duration(let seconds): return Value.formatDuration(seconds)
        case .timestamp(let t): return String(t)
        case .country(let c): return c
        }
    }

    public var description: String { formatted() }

    static func formatDuration(_ seconds: Int64) -> String {
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
