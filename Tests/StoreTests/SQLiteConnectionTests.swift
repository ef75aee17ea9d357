import Foundation
import Store
import Testing

/// A real SQLite database file in a fresh temporary folder per test.
struct TemporaryDatabase {
    let folder: URL
    let path: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("test.sqlite").path
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

@Suite("SQLite connection")
struct SQLiteConnectionTests {
    @Test func opensDurableInWALMode() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        #expect(try connection.scalarText("PRAGMA journal_mode") == "wal")
        #expect(try connection.scalarText("PRAGMA synchronous") == "2")  // FULL
        #expect(try connection.scalarText("PRAGMA foreign_keys") == "1")
    }

    @Test func bindsAndReadsEveryType() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)")
        let insert = try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        try insert.bind(1, Int64.max)
        try insert.bind(2, "héllo \u{0}end")
        try insert.bind(3, blob: [0, 1, 255])
        try insert.bindNull(4)
        try insert.step()
        let select = try connection.prepare("SELECT i, s, b, n FROM t")
        #expect(try select.step())
        #expect(select.int64(0) == Int64.max)
        #expect(select.text(1) == "héllo \u{0}end")
        #expect(select.blob(2) == [0, 1, 255])
        #expect(select.isNull(3))
        #expect(try select.step() == false)
    }

    @Test func transactionRollsBackWhenItThrows() throws {
        struct Rejected: Error {}
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        #expect(throws: Rejected.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO t VALUES (1)")
                throw Rejected()
            }
        }
        #expect(try connection.scalarText("SELECT count(*) FROM t") == "0")
        try connection.transaction { try connection.execute("INSERT INTO t VALUES (2)") }
        #expect(try connection.scalarText("SELECT count(*) FROM t") == "1")
    }

    @Test func errorsCarryCodeAndMessage() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let connection = try SQLiteConnection(path: database.path)
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        try connection.execute("INSERT INTO t VALUES (1)")
        do {
            try connection.execute("INSERT INTO t VALUES (1)")
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.isConstraintViolation)
            #expect(error.message.contains("UNIQUE constraint failed"))
        }
        #expect(throws: SQLiteError.self) { _ = try connection.prepare("SELEC nonsense") }
    }

    @Test func committedDataIsSeenByAnotherConnection() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let writer = try SQLiteConnection(path: database.path)
        try writer.execute("CREATE TABLE t (v TEXT)")
        try writer.transaction { try writer.execute("INSERT INTO t VALUES ('x')") }
        let reader = try SQLiteConnection(path: database.path)
        #expect(try reader.scalarText("SELECT v FROM t") == "x")
    }

    @Test func unopenablePathIsAnError() {
        #expect(throws: SQLiteError.self) { _ = try SQLiteConnection(path: "/nonexistent-folder/x/y.sqlite") }
    }
}
