/// A versioned schema change of one component (e.g. "ledger"). Versions of a
/// component start at 1 and grow by one; each runs once, in its own transaction.
public struct Migration: Sendable {
    public let version: Int
    public let sql: String

    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    /// The database was written by a newer Tollgate; running older code on it could corrupt it.
    case schemaNewerThanCode(component: String, databaseVersion: Int, codeVersion: Int)

    public var description: String {
        switch self {
        case let .schemaNewerThanCode(component, databaseVersion, codeVersion):
            return "the \(component) schema is version \(databaseVersion), newer than this build knows (\(codeVersion)); refusing to run"
        }
    }
}

private let versionsTableSQL =
    "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"

private func checkedPending(_ migrations: [Migration], component: String, current: Int) throws -> ArraySlice<Migration> {
    let known = migrations.last?.version ?? 0
    precondition(migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version }, "migrations must be numbered 1, 2, …")
    if current > known {
        throw MigrationError.schemaNewerThanCode(component: component, databaseVersion: current, codeVersion: known)
    }
    return migrations[current...]
}

extension SQLiteConnection {
    /// Applies the migrations of `component` the database has not seen yet.
    public func migrate(component: String, _ migrations: [Migration]) throws {
        try transaction {
            try execute(versionsTableSQL)
            let select = try prepare("SELECT version FROM schema_versions WHERE component = ?")
            try select.bind(1, component)
            let current = try select.step() ? Int(select.int64(0)) : 0
            for migration in try checkedPending(migrations, component: component, current: current) {
                try execute(migration.sql)
                let upsert = try prepare("INSERT INTO schema_versions(component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version")
                try upsert.bind(1, component)
                try upsert.bind(2, Int64(migration.version))
                try upsert.step()
            }
        }
    }
}

extension PostgresConnection {
    /// Applies the migrations of `component` the database has not seen yet. An
    /// advisory lock keeps two processes starting at once from both applying them.
    public func migrate(component: String, _ migrations: [Migration]) throws {
        try transaction {
            try execute("SELECT pg_advisory_xact_lock(7420113)")
            try execute(versionsTableSQL)
            let rows = try execute("SELECT version FROM schema_versions WHERE component = $1", [component])
            let current = rows.rowCount > 0 ? Int(rows.int64(0, 0)) : 0
            for migration in try checkedPending(migrations, component: component, current: current) {
                try execute(migration.sql)
                try execute(
                    "INSERT INTO schema_versions(component, version) VALUES ($1, $2) ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                    [component, String(migration.version)])
            }
        }
    }
}
