import CSQLite

/// A prepared statement: bind by 1-based index, step, read columns by 0-based index.
public final class SQLiteStatement {
    private let connection: SQLiteConnection
    private let handle: OpaquePointer
    /// Set for statements from the connection's cache: where the handle goes back to.
    private let cache: (SQLiteStatementCache, sql: String)?

    init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var handle: OpaquePointer?
        let status = sqlite3_prepare_v2(connection.handle, sql, -1, &handle, nil)
        guard status == SQLITE_OK, let handle else { throw connection.error(status) }
        self.connection = connection
        self.handle = handle
        cache = nil
    }

    /// A statement from `cache` (an idle copy, or a new one), returned to it when released.
    init(connection: SQLiteConnection, sql: String, cache: SQLiteStatementCache) throws(SQLiteError) {
        if let idle = cache.take(sql) {
            handle = idle
        } else {
            var handle: OpaquePointer?
            let status = sqlite3_prepare_v2(connection.handle, sql, -1, &handle, nil)
            guard status == SQLITE_OK, let handle else { throw connection.error(status) }
            self.handle = handle
        }
        self.connection = connection
        self.cache = (cache, sql)
    }

    deinit {
        // Reset either way: a stepped, unfinished statement would keep its read snapshot open.
        if let (cache, sql) = cache { cache.give(sql, handle) } else { sqlite3_finalize(handle) }
    }

    public func bind(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bind(_ index: Int32, _ value: String) throws(SQLiteError) {
        var value = value
        let status = value.withUTF8 { bytes in
            tollgate_sqlite3_bind_text(handle, index, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        try check(status)
    }

    public func bind(_ index: Int32, blob: [UInt8]) throws(SQLiteError) {
        try check(blob.withUnsafeBytes { tollgate_sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count)) })
    }

    public func bindNull(_ index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, index))
    }

    /// True when a row is ready; false when the statement is done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(status)
        }
    }

    /// Clears bindings and rewinds, ready to run again.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private func check(_ status: Int32) throws(SQLiteError) {
        guard status == SQLITE_OK else { throw connection.error(status) }
    }
}
