import TollgateCore

/// `SQLStatement` on PostgreSQL: the `?` placeholders become `$1…`, values are
/// sent as text (blobs as `\x…` hex, bytea's text form), and the statement is
/// prepared once per connection and SQL text. It runs at the first `step`;
/// later steps walk its rows.
public final class PostgresStatement: SQLStatement {
    private let connection: PostgresConnection
    private let name: String
    private let sql: String
    private var parameters: [String?]
    private var result: PostgresResult?
    private var row = -1

    init(connection: PostgresConnection, sql: String) {
        self.connection = connection
        let (numbered, count) = PostgresStatement.numberPlaceholders(sql)
        self.sql = numbered
        parameters = Array(repeating: nil, count: count)
        name = connection.statementName(for: numbered)
    }

    /// `?` → `$1`, `$2`, … outside quoted strings and identifiers.
    static func numberPlaceholders(_ sql: String) -> (String, Int) {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var count = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                count += 1
                out += "$\(count)"
            } else {
                out.append(character)
            }
        }
        return (out, count)
    }

    private func set(_ index: Int32, _ value: String?) throws(PostgresError) {
        guard index >= 1, Int(index) <= parameters.count else {
            throw PostgresError(sqlState: "", message: "parameter \(index) is out of range for \(parameters.count) placeholders")
        }
        parameters[Int(index) - 1] = value
    }

    public func bind(_ index: Int32, _ value: Int64) throws(PostgresError) { try set(index, String(value)) }
    public func bind(_ index: Int32, _ value: String) throws(PostgresError) { try set(index, value) }
    public func bind(_ index: Int32, blob: [UInt8]) throws(PostgresError) { try set(index, "\\x" + Hex.encode(blob)) }
    public func bindNull(_ index: Int32) throws(PostgresError) { try set(index, nil) }

    @discardableResult
    public func step() throws(PostgresError) -> Bool {
        if result == nil {
            result = try connection.executePrepared(name, sql, parameters)
            row = -1
        }
        row += 1
        return row < result!.rowCount
    }

    public func reset() {
        result = nil
        row = -1
        parameters = Array(repeating: nil, count: parameters.count)
    }

    public func isNull(_ column: Int32) -> Bool { result?.isNull(row, Int(column)) ?? true }
    public func int64(_ column: Int32) -> Int64 { result?.int64(row, Int(column)) ?? 0 }
    public func text(_ column: Int32) -> String? { result?.text(row, Int(column)) }

    public func blob(_ column: Int32) -> [UInt8] {
        guard let text = result?.text(row, Int(column)) else { return [] }
        let digits = Array(text.utf8)
        guard digits.count >= 2, digits[0] == UInt8(ascii: "\\"), digits[1] == UInt8(ascii: "x") else { return [] }
        return Hex.decode(digits.dropFirst(2)) ?? []
    }
}

extension PostgresConnection: SQLConnection {
    public var dialect: SQLDialect { .postgres }

    public func statement(_ sql: String) throws(PostgresError) -> PostgresStatement {
        PostgresStatement(connection: self, sql: sql)
    }

    public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        try transaction(isolation: "READ COMMITTED", body)
    }

    public func scalarText(_ sql: String) throws(PostgresError) -> String? {
        let rows = try execute(sql)
        return rows.rowCount > 0 ? rows.text(0, 0) : nil
    }
}
