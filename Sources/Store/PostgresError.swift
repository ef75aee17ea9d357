/// A failed libpq call or statement: the SQLSTATE code when the server sent one
/// (e.g. "23505" unique violation) and the server's message.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public let sqlState: String
    public let message: String

    public init(sqlState: String, message: String) {
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        sqlState.isEmpty ? "postgres error: \(message)" : "postgres error \(sqlState): \(message)"
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// Serialization failures and deadlocks: the transaction did nothing and may be retried as a whole.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// The connection itself is gone (no SQLSTATE from a server, or class 08).
    public var isConnectionFailure: Bool { sqlState.isEmpty || sqlState.hasPrefix("08") }
}
