import Foundation
import Testing
@testable import Batch

/// Reading history: time formats, CSV edge cases at every buffer boundary,
/// gzip and JSONL giving the same table as plain CSV, malformed rows.
@Suite("Batch input")
struct InputFormatTests {
    static func parseTime(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { TimeText.parse($0) }
    }

    @Test func timeFormats() {
        #expect(Self.parseTime("2018-04-01 00:00:31") == 1_522_540_831)
        #expect(Self.parseTime("2018-04-01T00:00:31Z") == 1_522_540_831)
        #expect(Self.parseTime("2018-04-01T02:00:31+02:00") == 1_522_540_831)
        #expect(Self.parseTime("2018-03-31T19:00:31-0500") == 1_522_540_831)
        #expect(Self.parseTime("2018-04-01T00:00:31.750Z") == 1_522_540_831)
        #expect(Self.parseTime("2018-04-01") == 1_522_540_800)
        #expect(Self.parseTime("1522540831") == 1_522_540_831)
        #expect(Self.parseTime("1522540831.9") == 1_522_540_831)
        #expect(Self.parseTime("-1.5") == -2)
        #expect(Self.parseTime("2024-02-29 12:00:00") == 1_709_208_000)
        for bad in ["", "2018-02-30 00:00:00", "2018-13-01", "2018-04-01 24:00:00", "2018-04-01T00:00:31+2", "yesterday",
                    "12:00", "2018-04-01 00:00", "1e9", "2018-04-01T00:00:31ZZ"] {
            #expect(Self.parseTime(bad) == nil, "\(bad) should not parse")
        }
        #expect(TimeText.dateText(day: 17_622) == "2018-04-01")
        #expect(TimeText.dateText(day: -1) == "1969-12-31")
    }

    /// Splits `text` in two at every position, as the chunked reader may, and
    /// checks the records are always the same as in one piece.
    @Test func csvAtEveryBufferBoundary() {
        let text = "a,b,c\r\n1,\"x, \"\"quoted\"\"\ny\",3\n\n4,,\"\"\n5,6,7"
        let expected = [["a", "b", "c"], ["1", "x, \"quoted\"\ny", "3"], ["4", "", ""], ["5", "6", "7"]]
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var splitter = CSVSplitter()
            defer { splitter.deallocate() }
            var records: [[String]] = []
            var carry = Array(bytes[0..<cut])
            for (piece, isFinal) in [(Array(bytes[cut...]), false), ([], true)] {
                var buffer = carry + piece
                if isFinal { buffer = carry }
                let consumed = buffer.withUnsafeBufferPointer { pointer in
                    splitter.split(pointer, isFinal: isFinal) { splitter in
                        records.append(splitter.fields.map { String(decoding: $0, as: UTF8.self) })
                    }
                }
                carry = Array(buffer[consumed...])
            }
            #expect(records == expected, "cut at \(cut)")
        }
    }

    @Test func csvReportsBrokenQuoting() {
        var splitter = CSVSplitter()
        defer { splitter.deallocate() }
        var errors: [String?] = []
        let bytes = Array("1,\"ab\"c,3\n2,\"open".utf8)
        _ = bytes.withUnsafeBufferPointer { pointer in
            splitter.split(pointer, isFinal: true) { splitter in errors.append(splitter.recordError) }
        }
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0 != nil })
    }

    static func temporaryFile(_ name: String, _ contents: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)-\(name)")
        try contents.write(to: url)
        return url
    }

    static func gzip(_ file: URL) throws -> URL {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-k", "-f", file.path]
        try process.run()
        process.waitUntilExit()
        return URL(fileURLWithPath: file.path + ".gz")
    }

    static let csv = """
    tx,when,amt,cur,cust,fraud
    t1,2026-01-01T00:00:05Z,12.345,USD,c1,0
    t2,2026-01-01T00:00:01Z,1.005,JPY,c2,1
    t3,not a time,5.00,USD,c1,0
    t4,2026-01-01T00:00:03Z,abc,USD,c3,0
    t5,2026-01-01T00:00:03Z,7.5,,c3,true
    t6,2026-01-01T00:00:09Z,3.00,XXY,c1,0
    t7,2026-01-01T00:00:09Z,3.00,USD,c1
    t8,2026-01-01T00:00:02Z,,USD,,no

    """

    static let map = "id=tx,time=when,amount=amt,currency=cur,customer=cust"

    static func load(_ file: URL) throws -> BatchTable {
        var map = try ColumnMap.parse(map)
        try map.setLabel("fraud")
        return try TableLoader.load(path: file.path, map: map, defaultCurrency: .usd)
    }

    /// Rows as (row number, id, time, amount word, customer) in replay order.
    static func summary(_ table: BatchTable) -> [String] {
        let amount = table.columns["amount"]!, customer = table.columns["customer"]!
        return (0..<table.rowCount).map { row in
            let customerID = customer.stringIDs[row]
            return "\(table.rowNumbers[row]) \(table.ids![row]) \(table.times[row]) \(amount.present[row] ? String(amount.words[row]) : "-") "
                + "\(customerID >= 0 ? customer.strings.strings[Int(customerID)] : "-") \(table.labels![row])"
        }
    }

    @Test func malformedRowsAreCountedWithTheirNumbers() throws {
        let file = try Self.temporaryFile("in.csv", Data(Self.csv.utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let table = try Self.load(file)
        // Money is in 1/10,000 major units, rounded half-even to the currency's minor unit first.
        #expect(Self.summary(table) == [
            "2 t2 1767225601 10000 c2 true",       // JPY has no minor unit: 1.005 → 1
            "8 t8 1767225602 - - false",           // empty fields are missing facts, not errors
            "5 t5 1767225603 75000 c3 true",       // empty currency → --currency
            "1 t1 1767225605 123400 c1 false",     // 12.345 → 12.34 (half-even)
        ])
        #expect(table.malformedCount == 4)
        #expect(table.malformedExamples.map(\.row) == [3, 4, 6, 7])
        #expect(table.malformedExamples[0].message == "time: 'not a time' is not a time")
        #expect(table.malformedExamples[1].message == "amount: 'abc' is not a money")
        #expect(table.malformedExamples[2].message.contains("ISO 4217"))
        #expect(table.malformedExamples[3].message == "has 5 fields, the header has 6")
        #expect(table.wasReordered)
        #expect(table.positionsInInputOrder().map { table.rowNumbers[Int($0)] } == [1, 2, 5, 8])
    }

    @Test func gzipAndJSONLinesReadTheSame() throws {
        let file = try Self.temporaryFile("in.csv", Data(Self.csv.utf8))
        let zipped = try Self.gzip(file)
        var lines = ""
        for line in Self.csv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var object: [String: Any] = [:]
            for (key, value) in zip(["tx", "when", "amt", "cur", "cust", "fraud"], fields) where !value.isEmpty {
                object[key] = key == "amt" ? (Double(value).map { $0 as Any } ?? value) : value
            }
            lines += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        let jsonl = try Self.temporaryFile("in.jsonl", Data(lines.utf8))
        defer { for url in [file, zipped, jsonl] { try? FileManager.default.removeItem(at: url) } }
        let plain = try Self.load(file)
        #expect(try Self.summary(Self.load(zipped)) == Self.summary(plain))
        let fromJSON = try Self.load(jsonl)
        // JSON has no field-count errors (row 7 just lacks its label); the rest read the same.
        #expect(Self.summary(fromJSON) == Self.summary(plain))
        #expect(fromJSON.malformedExamples.map(\.row) == [3, 4, 6, 7])
    }

    @Test func wrongColumnsAndFilesAreOneLineErrors() throws {
        let file = try Self.temporaryFile("in.csv", Data(Self.csv.utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: BatchError.self) { try ColumnMap.parse("amount=amt") }           // no time
        #expect(throws: BatchError.self) { try ColumnMap.parse("time=when,colour=x") }   // unknown fact
        #expect(throws: BatchError.self) { try ColumnMap.parse("time=when,time=amt") }   // twice
        #expect(throws: BatchError.self) { try ColumnMap.parse("time") }
        let missingColumn = try ColumnMap.parse("time=when,amount=AMOUNT")
        do throws(BatchError) {
            _ = try TableLoader.load(path: file.path, map: missingColumn, defaultCurrency: .usd)
            Issue.record("a missing column must fail")
        } catch {
            #expect(error.message.contains("no column 'AMOUNT'"))
            #expect(!error.message.contains("\n"))
        }
        #expect(throws: BatchError.self) { try TableLoader.load(path: "/nonexistent/file.csv", map: missingColumn, defaultCurrency: .usd) }
        let truncated = try Self.gzip(file)
        let bytes = try Data(contentsOf: truncated)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        defer { try? FileManager.default.removeItem(at: truncated) }
        do {
            _ = try Self.load(truncated)
            Issue.record("a truncated gzip file must fail")
        } catch let error as BatchError {
            #expect(error.message.contains("truncated") || error.message.contains("corrupt"))
        }
    }
}
