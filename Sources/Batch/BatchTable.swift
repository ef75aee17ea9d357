import Rules
import TollgateCore

/// The loaded history: one column per mapped fact plus the row's time, input
/// row number, id and label; malformed rows are left out and counted. After
/// loading, rows are in replay order (time, then input order); scoring only
/// reads it, from several threads.
public final class BatchTable: @unchecked Sendable {
    public struct MalformedRow: Sendable {
        /// 1-based input data row (the header is not a row).
        public let row: Int
        public let message: String
    }

    public static let malformedExamplesMax = 20

    public private(set) var rowCount = 0
    var times: [Int64] = []
    /// 1-based input row number of each row (gaps where rows were malformed).
    var rowNumbers: [Int32] = []
    var ids: IDColumn?
    var labels: [Bool]?
    /// Minor-unit exponent of each row's currency when a `currency` column is mapped.
    var currencyExponents: [UInt8]?
    let defaultCurrency: Currency
    /// Every mapped fact except time, id and label (those have their own arrays).
    private(set) var columns: [String: FactColumn]
    public private(set) var malformedCount = 0
    public private(set) var malformedExamples: [MalformedRow] = []
    /// Whether the rows had to be reordered by time.
    public private(set) var wasReordered = false
    /// Seconds spent reading, parsing and ordering the input.
    public internal(set) var loadSeconds = 0.0

    init(map: ColumnMap, defaultCurrency: Currency) {
        self.defaultCurrency = defaultCurrency
        var columns: [String: FactColumn] = [:]
        for entry in map.entries where !["time", "id", "label"].contains(entry.fact) {
            columns[entry.fact] = FactColumn(fact: entry.fact, type: FactCatalog.entry(entry.fact)!.type)
        }
        self.columns = columns
        if map.column(for: "id") != nil { ids = IDColumn() }
        if map.column(for: "label") != nil { labels = [] }
        if map.column(for: "currency") != nil { currencyExponents = [] }
    }

    public var hasLabels: Bool { labels != nil }

    /// A fact computed from other columns (rows already in replay order).
    func addDerived(_ column: FactColumn) {
        precondition(column.count == rowCount, "a derived column has one value per row")
        columns[column.fact] = column
    }
    public var mappedFacts: Set<String> { Set(columns.keys).union(["time"]) }

    func recordMalformed(row: Int, _ message: String) {
        malformedCount += 1
        if malformedExamples.count < BatchTable.malformedExamplesMax {
            malformedExamples.append(MalformedRow(row: row, message: message))
        }
    }

    func appendRow(row: Int, time: Int64, id: UnsafeBufferPointer<UInt8>?, label: Bool?, currencyExponent: UInt8?) {
        times.append(time)
        rowNumbers.append(Int32(truncatingIfNeeded: row))
        if let id { ids?.append(id) }
        if let label { labels?.append(label) }
        if let currencyExponent { currencyExponents?.append(currencyExponent) }
        rowCount += 1
    }

    func currencyExponent(_ row: Int) -> Int {
        currencyExponents.map { Int($0[row]) } ?? defaultCurrency.minorUnitExponent
    }

    /// Puts rows in replay order: by time, ties in input order (a stable sort).
    func sortByTime() {
        var sorted = true
        for index in 1..<max(1, rowCount) where times[index] < times[index - 1] {
            sorted = false
            break
        }
        if sorted { return }
        var order = (0..<Int32(rowCount)).map { $0 }
        order.sort { times[Int($0)] != times[Int($1)] ? times[Int($0)] < times[Int($1)] : $0 < $1 }
        times = order.map { times[Int($0)] }
        rowNumbers = order.map { rowNumbers[Int($0)] }
        ids = ids?.permuted(order)
        labels = labels.map { labels in order.map { labels[Int($0)] } }
        currencyExponents = currencyExponents.map { exponents in order.map { exponents[Int($0)] } }
        for column in columns.values { column.permute(order) }
        wasReordered = true
    }

    /// Positions in input order (where rows were reordered, the inverse permutation).
    func positionsInInputOrder() -> [Int32] {
        var positions = (0..<Int32(rowCount)).map { $0 }
        if wasReordered { positions.sort { rowNumbers[Int($0)] < rowNumbers[Int($1)] } }
        return positions
    }
}
