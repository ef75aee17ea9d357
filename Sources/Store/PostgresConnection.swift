import CPostgres

/// One PostgreSQL connection (libpq), owned by one thread at a time. Statements
/// use the text protocol with `$1…` parameters; named statements are prepared
/// once per connection and reused.
public final class PostgresConnection {
    private let handle: OpaquePointer
    private var preparedNames: Set<String> = []
    /// Names of the statements `prepare` made, by their SQL text.
    private var statementNames: [String: String] = [:]
    public let url: String

    public init(url: String) throws(PostgresError) {
        guard let handle = PQconnectdb(url) else {
            throw PostgresError(sqlState: "", message: "out of memory connecting to PostgreSQL")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace
            PQfinish(handle)
            throw PostgresError(sqlState: "", message: message)
        }
        self.handle = handle
        self.url = url
        // Notices (e.g. "relation already exists, skipping") would go to stderr otherwise.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit {
        PQfinish(handle)
    }

    /// Runs one statement (or several, when there are no parameters) and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(handle, sql)
        } else {
            result = withCStrings(parameters) { pointers in
                PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
            }
        }
        return try check(result)
    }

    /// Runs a statement prepared once under `name` on this connection.
    @discardableResult
    public func executePrepared(_ name: String, _ sql: String, _ parameters: [String?]) throws(PostgresError) -> PostgresResult {
        if !preparedNames.contains(name) {
            _ = try check(PQprepare(handle, name, sql, Int32(parameters.count), nil))
            preparedNames.insert(name)
        }
        let result = withCStrings(parameters) { pointers in
            PQexecPrepared(handle, name, Int32(pointers.count), pointers, nil, nil, 0)
        }
        return try check(result)
    }

    /// A name for a statement prepared from `sql`, the same each time on this connection.
    func statementName(for sql: String) -> String {
        if let name = statementNames[sql] { return name }
        let name = "sql_\(statementNames.count + 1)"
        statementNames[sql] = name
        return name
    }

    /// Runs `body` in one transaction at the given isolation level; rolls back when it throws.
    public func transaction<Result>(isolation: String = "READ COMMITTED", _ body: () throws -> Result) throws -> Result {
        try execute("BEGIN ISOLATION LEVEL \(isolation)")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private func check(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw PostgresError(sqlState: "", message: String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace)
        }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message = String(cString: PQresultErrorMessage(result)).trimmingTrailingWhitespace
            PQclear(result)
            throw PostgresError(sqlState: state, message: message)
        }
        return PostgresResult(handle: result)
    }
}

/// The rows of one statement, read as text (the protocol's text format).
public final class PostgresResult {
    private let handle: OpaquePointer
    public let rowCount: Int
    public let columnCount: Int

    init(handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
    }

    deinit {
        PQclear(handle)
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    public func text(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column) else { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The value as a 64-bit integer; 0 for NULL or text that is not one.
    public func int64(_ row: Int, _ column: Int) -> Int64 {
        guard !isNull(row, column) else { return 0 }
        return Int64(String(cString: PQgetvalue(handle, Int32(row), Int32(column)))) ?? 0
    }

    /// Rows changed by an INSERT/UPDATE/DELETE.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }
}

/// Calls `body` with NUL-terminated copies of `strings` (nil stays a null pointer: SQL NULL).
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let buffers: [UnsafeMutablePointer<CChar>?] = strings.map { string in
        guard let string else { return nil }
        let utf8 = Array(string.utf8)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
        for (index, byte) in utf8.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        buffer[utf8.count] = 0
        return buffer
    }
    defer { for buffer in buffers { buffer?.deallocate() } }
    return body(buffers.map { UnsafePointer($0) })
}

extension String {
    var trimmingTrailingWhitespace: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
