/// Every bound the compiler enforces. Exceeding one is a diagnostic, never a
/// crash or a hang; the numbers are generous for hand-written and generated files.
public struct RuleLimits: Sendable {
    /// A larger file is refused before it is lexed.
    public var fileBytesMax = 4 * 1024 * 1024
    public var rulesPerFileMax = 20_000
    public var featuresPerFileMax = 2_000
    public var listsPerFileMax = 1_000
    /// Nesting of parentheses, operators and calls inside one expression.
    public var expressionDepthMax = 64
    /// Nodes in one rule's condition, so one line cannot make the compiler quadratic.
    public var expressionNodesMax = 2_000
    public var listItemsMax = 1_000_000
    public var identifierBytesMax = 128
    public var stringLiteralBytesMax = 4_096
    public var testsPerFileMax = 10_000
    /// Diagnostics reported per file; past this the rest are summarised.
    public var diagnosticsMax = 200
    /// Velocity windows: 1 minute to 365 days.
    public var windowSecondsMin: Int64 = 60
    public var windowSecondsMax: Int64 = 365 * 86_400

    public init() {}

    public static let standard = RuleLimits()
}
