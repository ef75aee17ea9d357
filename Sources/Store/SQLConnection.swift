/// What the gateway's SQL runs on: SQLite or PostgreSQL through one interface.
/// Statements are written once with `?` placeholders in the SQL both accept
/// (row values, `ON CONFLICT`, `CAST(? AS BIGINT)`); the few spellings that
/// differ come from `dialect`.
public protocol SQLConnection: AnyObject {
    associatedtype Statement: SQLStatement
    var dialect: SQLDialect { get }
    /// A statement for `sql`, prepared once per connection and reused.
    func statement(_ sql: String) throws -> Statement
    /// One transaction; rolls back when `body` throws.
    func transaction<Result>(_ body: () throws -> Result) throws -> Result
    /// The first column of the first row, as text.
    func scalarText(_ sql: String) throws -> String?
}

/// A prepared statement: bind by 1-based index, step, read columns by 0-based index.
public protocol SQLStatement: AnyObject {
    func bind(_ index: Int32, _ value: Int64) throws
    func bind(_ index: Int32, _ value: String) throws
    func bind(_ index: Int32, blob: [UInt8]) throws
    func bindNull(_ index: Int32) throws
    /// True when a row is ready; false when the statement is done.
    @discardableResult func step() throws -> Bool
    /// Clears bindings and rewinds, ready to run again.
    func reset()
    func isNull(_ column: Int32) -> Bool
    func int64(_ column: Int32) -> Int64
    func text(_ column: Int32) -> String?
    func blob(_ column: Int32) -> [UInt8]
}

/// The spellings SQLite and PostgreSQL do not share.
public struct SQLDialect: Sendable, Equatable {
    public let name: String
    /// `instr` / `strpos`: the 1-based position of a needle in a haystack, 0 when absent.
    public let position: String
    /// A column that grows with insertion order in tables that declare `position`:
    /// SQLite's implicit `rowid`, PostgreSQL's `position BIGSERIAL`.
    public let insertionOrder: String
    /// Whether a table exists: `SELECT 1 FROM … WHERE …` with the table name bound to `?`.
    public let tableExistsSQL: String

    public static let sqlite = SQLDialect(name: "sqlite", position: "instr", insertionOrder: "rowid",
                                          tableExistsSQL: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    public static let postgres = SQLDialect(name: "postgres", position: "strpos", insertionOrder: "position",
                                            tableExistsSQL: "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?")
}

extension SQLiteConnection: SQLConnection {
    public var dialect: SQLDialect { .sqlite }

    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement { try cachedStatement(sql) }
}

extension SQLiteStatement: SQLStatement {}
