import CSQLite
import Foundation

/// Prepared statements of one connection kept for reuse, by SQL text: parsing
/// and planning a statement costs more than running a small insert, and the
/// gateway's few statements run for every request. Holds raw handles (not
/// statement objects) so nothing refers back to the connection.
final class SQLiteStatementCache: @unchecked Sendable {
    /// Idle copies kept per SQL text (nested use of the same SQL takes a second one).
    static let idlePerStatementMax = 4
    private let lock = NSLock()
    private var idle: [String: [OpaquePointer]] = [:]
    private var closed = false

    func take(_ sql: String) -> OpaquePointer? {
        lock.withLock { idle[sql]?.popLast() }
    }

    /// Takes back a statement its user is done with (reset, bindings cleared).
    func give(_ sql: String, _ handle: OpaquePointer) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let kept = lock.withLock { () -> Bool in
            guard !closed, idle[sql, default: []].count < Self.idlePerStatementMax else { return false }
            idle[sql, default: []].append(handle)
            return true
        }
        if !kept { sqlite3_finalize(handle) }
    }

    /// Finalizes every idle statement; later returns are finalized at once.
    func close() {
        let handles = lock.withLock { () -> [OpaquePointer] in
            closed = true
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        for handle in handles { sqlite3_finalize(handle) }
    }
}
