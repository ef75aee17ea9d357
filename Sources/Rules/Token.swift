/// The kinds of token of the rule language. Keywords (`rule`, `if`, `and`, …)
/// are identifiers the parser recognises by text, so a fact may share a name
/// with a keyword of another statement.
public enum TokenKind: Equatable, Sendable {
    case identifier        // card, card.country, metadata.order_id
    case integer           // 200
    case decimal           // 200.00
    case duration          // 90s 10m 1h 7d 2w
    case string            // "NG"
    case listReference     // @risky_countries
    case equalEqual, notEqual, less, lessEqual, greater, greaterEqual
    case plus, minus, star, slash
    case questionQuestion
    case leftParen, rightParen, leftBracket, rightBracket
    case comma, colon, equal
    case newline
    case endOfFile
    case invalid
}

public struct Token: Sendable {
    public let kind: TokenKind
    public let range: SourceRange
    /// 1-based column of the first token of this token's line, i.e. its indentation + 1.
    public let lineIndentColumn: Int
    /// True for the first token of a line.
    public let startsLine: Bool
}

/// A `# …` comment, kept for the formatter.
public struct Comment: Sendable {
    public let range: SourceRange
    public let text: String
    /// True when code stands before it on the same line.
    public let trailing: Bool
}
