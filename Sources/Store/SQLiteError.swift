import CSQLite

/// A failed SQLite call: the primary result code (SQLITE_BUSY, SQLITE_CONSTRAINT, …)
/// and SQLite's message, so callers can match on the code.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    public var description: String { "sqlite error \(code): \(message)" }

    public var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY }
}
