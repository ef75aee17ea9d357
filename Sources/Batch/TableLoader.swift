import Foundation
import Rules
import TollgateCore

/// Reads a CSV or JSONL history (plain or gzip, file or stdin) into a
/// `BatchTable`: checks `--columns` against the header, converts every mapped
/// field to its fact's type, and sets aside malformed rows with their numbers.
public enum TableLoader {
    /// Largest record accepted (a runaway quote would otherwise swallow the file).
    public static let recordBytesMax = 16 << 20

    public static func load(path: String, map: ColumnMap, defaultCurrency: Currency,
                            progress: ProgressReporter? = nil) throws(BatchError) -> BatchTable {
        let started = DispatchTime.now().uptimeNanoseconds
        let source = try ByteSource(path: path)
        progress?.start(phase: "reading", totalBytes: source.totalBytes)
        let table = BatchTable(map: map, defaultCurrency: defaultCurrency)
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".jsonl.gz") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".ndjson.gz") {
            try loadJSONLines(source: source, path: path, map: map, into: table, progress: progress)
        } else {
            try loadCSV(source: source, path: path, map: map, into: table, progress: progress)
        }
        table.sortByTime()
        table.loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return table
    }

    // MARK: CSV

    private static func loadCSV(source: ByteSource, path: String, map: ColumnMap, into table: BatchTable,
                                progress: ProgressReporter?) throws(BatchError) {
        let pipe = ChunkPipe(source: source)
        defer { pipe.cancel() }
        var splitter = CSVSplitter()
        defer { splitter.deallocate() }
        var rowBuilder: RowBuilder?
        var carry: [UInt8] = []
        var row = 0
        while true {
            let chunk = try pipe.next()
            let isFinal = chunk == nil
            var buffer: [UInt8]
            if carry.isEmpty {
                buffer = chunk ?? []
            } else {
                buffer = carry
                if let chunk { buffer.append(contentsOf: chunk) }
            }
            var failure: BatchError?
            let consumed = buffer.withUnsafeBufferPointer { bytes in
                splitter.split(bytes, isFinal: isFinal) { splitter in
                    guard failure == nil else { return }
                    guard let builder = rowBuilder else {
                        do throws(BatchError) {
                            rowBuilder = try RowBuilder(header: splitter.fields.enumerated().map { index, field in
                                var text = String(decoding: field, as: UTF8.self)
                                if index == 0 && text.hasPrefix("\u{FEFF}") { text.removeFirst() }
                                return text
                            }, map: map, table: table, path: path)
                        } catch {
                            failure = error
                        }
                        return
                    }
                    row += 1
                    if let error = splitter.recordError {
                        table.recordMalformed(row: row, error)
                    } else {
                        builder.add(splitter.fields, row: row)
                    }
                }
            }
            if let failure { throw failure }
            progress?.update(rows: row, bytesRead: source.bytesRead)
            if isFinal { break }
            carry = Array(buffer[consumed...])
            guard carry.count <= recordBytesMax else {
                throw BatchError("\(path): row \(row + 1) is longer than \(recordBytesMax >> 20) MB (an unclosed quote?)")
            }
        }
        guard rowBuilder != nil else { throw BatchError("\(path): the file is empty (no header row)") }
    }

    // MARK: JSON lines

    private static func loadJSONLines(source: ByteSource, path: String, map: ColumnMap, into table: BatchTable,
                                      progress: ProgressReporter?) throws(BatchError) {
        let pipe = ChunkPipe(source: source)
        defer { pipe.cancel() }
        // The "header" is the mapped keys; each line's values are looked up by key.
        var keys: [String] = []
        for entry in map.entries where !keys.contains(entry.column) { keys.append(entry.column) }
        let builder = try RowBuilder(header: keys, map: map, table: table, path: path)
        var carry: [UInt8] = []
        var row = 0
        var fieldTexts = [[UInt8]](repeating: [], count: keys.count)

        func handle(_ line: ArraySlice<UInt8>) {
            var line = line
            while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") { line = line.dropLast() }
            if line.isEmpty { return }
            row += 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                table.recordMalformed(row: row, "not a JSON object")
                return
            }
            for (index, key) in keys.enumerated() {
                fieldTexts[index] = JSONValueText.bytes(object[key])
            }
            withFieldPointers(fieldTexts) { builder.add($0, row: row) }
        }

        while true {
            let chunk = try pipe.next()
            if let chunk { carry.append(contentsOf: chunk) }
            var lineStart = carry.startIndex
            while let newline = carry[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                handle(carry[lineStart..<newline])
                lineStart = newline + 1
            }
            if chunk == nil {
                handle(carry[lineStart...])
                break
            }
            carry.removeSubrange(..<lineStart)
            guard carry.count <= recordBytesMax else {
                throw BatchError("\(path): row \(row + 1) is longer than \(recordBytesMax >> 20) MB")
            }
            progress?.update(rows: row, bytesRead: source.bytesRead)
        }
    }

    private static func withFieldPointers(_ texts: [[UInt8]], _ body: ([UnsafeBufferPointer<UInt8>]) -> Void) {
        var pointers: [UnsafeBufferPointer<UInt8>] = []
        func nest(_ index: Int) {
            if index == texts.count { return body(pointers) }
            texts[index].withUnsafeBufferPointer { pointer in
                pointers.append(pointer)
                nest(index + 1)
            }
        }
        nest(0)
    }
}

/// A JSON value as the text a CSV cell would hold (null and absent: empty; numbers as written).
enum JSONValueText {
    static func bytes(_ value: Any?) -> [UInt8] {
        switch value {
        case nil, is NSNull: return []
        case let string as String: return Array(string.utf8)
        // JSON true/false arrive as NSNumber too and read "1"/"0": labels and bool facts accept both.
        case let number as NSNumber: return Array(number.stringValue.utf8)
        default: return Array("\(value!)".utf8)
        }
    }
}

/// Turns one record's fields into a table row, or a malformed-row report.
final class RowBuilder {
    private let table: BatchTable
    private let fieldCount: Int
    private let timeField: Int
    private let idField: Int?
    private let labelField: Int?
    private let currencyField: Int?
    /// (column, field) for every other mapped fact.
    private let factFields: [(column: FactColumn, field: Int)]

    init(header: [String], map: ColumnMap, table: BatchTable, path: String) throws(BatchError) {
        self.table = table
        fieldCount = header.count
        var indexByName: [String: Int] = [:]
        for (index, name) in header.enumerated() where indexByName[name] == nil { indexByName[name] = index }
        func field(_ column: String) throws(BatchError) -> Int {
            guard let index = indexByName[column] else {
                let shown = header.prefix(20).joined(separator: ", ")
                throw BatchError("--columns: \(path) has no column '\(column)' (its columns: \(shown)\(header.count > 20 ? ", ..." : ""))")
            }
            return index
        }
        timeField = try field(map.column(for: "time")!)
        idField = try map.column(for: "id").map { (column) throws(BatchError) in try field(column) }
        labelField = try map.column(for: "label").map { (column) throws(BatchError) in try field(column) }
        currencyField = try map.column(for: "currency").map { (column) throws(BatchError) in try field(column) }
        var factFields: [(column: FactColumn, field: Int)] = []
        for entry in map.entries {
            guard let column = table.columns[entry.fact] else { continue }
            factFields.append((column, try field(entry.column)))
        }
        self.factFields = factFields
    }

    func add(_ fields: [UnsafeBufferPointer<UInt8>], row: Int) {
        guard fields.count == fieldCount else {
            return table.recordMalformed(row: row, "has \(fields.count) fields, the header has \(fieldCount)")
        }
        guard let time = TimeText.parse(fields[timeField]) else {
            let text = String(decoding: fields[timeField].prefix(40), as: UTF8.self)
            return table.recordMalformed(row: row, text.isEmpty ? "time: missing" : "time: '\(text)' is not a time")
        }
        var label: Bool?
        if let labelField {
            guard let value = BoolText.parse(fields[labelField]) else {
                return table.recordMalformed(row: row, "label: '\(String(decoding: fields[labelField].prefix(40), as: UTF8.self))' is not 1/0 or true/false")
            }
            label = value
        }
        var exponent = table.defaultCurrency.minorUnitExponent
        var rowExponent: UInt8?
        if let currencyField {
            if !fields[currencyField].isEmpty {
                let code = String(decoding: fields[currencyField], as: UTF8.self)
                guard let currency = Currency(code: code.uppercased()) else {
                    return table.recordMalformed(row: row, "currency: '\(code.prefix(40))' is not an ISO 4217 code")
                }
                exponent = currency.minorUnitExponent
            }
            rowExponent = UInt8(exponent)
        }
        let rowsBefore = table.rowCount
        for (column, field) in factFields {
            if let error = column.append(fields[field], currencyExponent: exponent) {
                for (column, _) in factFields { column.truncate(to: rowsBefore) }
                return table.recordMalformed(row: row, error)
            }
        }
        table.appendRow(row: row, time: time, id: idField.map { fields[$0] }, label: label, currencyExponent: rowExponent)
    }
}
