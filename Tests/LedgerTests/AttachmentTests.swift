import Foundation
import Ledger
import Store
import Testing
import TollgateCore

/// Rows a caller commits in the same transaction as its transfers (the
/// gateway's charge, event and idempotency record): all of it or none.
@Suite("Ledger attachments")
struct AttachmentTests {
    struct Refused: Error {}

    static func note(_ database: LedgerDatabase, _ text: String) throws {
        switch database {
        case .sqlite(let connection):
            try connection.execute("CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL)")
            let insert = try connection.prepare("INSERT INTO notes(text) VALUES (?)")
            try insert.bind(1, text)
            _ = try insert.step()
        case .postgres(let connection):
            _ = try connection.execute("CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL)")
            _ = try connection.execute("INSERT INTO notes(text) VALUES ($1)", [text])
        }
    }

    static func notes(_ location: LedgerLocation) throws -> [String] {
        switch location.backend {
        case .sqlite:
            let connection = try SQLiteConnection(path: location.address)
            guard (try? connection.scalarText("SELECT count(*) FROM notes")) != nil else { return [] }
            let select = try connection.prepare("SELECT text FROM notes ORDER BY text")
            var texts: [String] = []
            while try select.step() { texts.append(select.text(0) ?? "") }
            return texts
        case .postgres:
            let connection = try PostgresConnection(url: location.address)
            guard let rows = try? connection.execute("SELECT text FROM notes ORDER BY text") else { return [] }
            return (0..<rows.rowCount).map { rows.text($0, 0) ?? "" }
        }
    }

    @Test("rows commit with the transfers; a throwing attachment leaves neither", arguments: Backend.allCases)
    func atomicWithTransfers(backend: Backend) throws {
        try withLedger(backend) { ledger, location in
            try Accounts.create(in: ledger)
            let results = try ledger.createTransfers([pay(10, 500)]) { database, results in
                try Self.note(database, "paid \(results[0])")
            }
            #expect(results == [.created])
            #expect(try Self.notes(location) == ["paid created"])
            #expect(throws: LedgerError.self) {
                _ = try ledger.createTransfers([pay(11, 700)]) { database, _ in
                    try Self.note(database, "never")
                    throw Refused()
                }
            }
            #expect(try ledger.transfer(id: 11) == nil, "the transfer rolled back with its rows")
            #expect(try Self.notes(location) == ["paid created"])
            // Rows alone, serialized with the ledger's writes.
            #expect(try ledger.createTransfers([]) { database, _ in try Self.note(database, "rows only") } == [])
            #expect(try Self.notes(location) == ["paid created", "rows only"])
        }
    }

    @Test("one failing attachment does not fail the others of its batch", arguments: Backend.allCases)
    func isolatedFailures(backend: Backend) throws {
        try withLedger(backend) { ledger, location in
            try Accounts.create(in: ledger)
            let outcomes = ResultsBox()
            ParallelThreads.run(count: 12) { index in
                let id = LedgerID(100 + index)
                do {
                    _ = try ledger.createTransfers([pay(id, 10)]) { database, _ in
                        if index % 3 == 0 { throw Refused() }
                        try Self.note(database, String(format: "%03d", index))
                    }
                    outcomes.set(index, true)
                } catch {
                    outcomes.set(index, false)
                }
            }
            for index in 0..<12 {
                let failed = index % 3 == 0
                #expect(outcomes.get(index) == !failed)
                #expect((try ledger.transfer(id: LedgerID(100 + index)) != nil) == !failed)
            }
            #expect(try Self.notes(location) == (0..<12).filter { $0 % 3 != 0 }.map { String(format: "%03d", $0) })
        }
    }
}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Bool] = [:]
    func set(_ index: Int, _ value: Bool) { lock.withLock { values[index] = value } }
    func get(_ index: Int) -> Bool? { lock.withLock { values[index] } }
}
