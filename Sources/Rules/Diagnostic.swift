/// One problem found in a rule file, at a place in it.
public struct Diagnostic: Sendable, Hashable {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public let severity: Severity
    public let range: SourceRange
    public let message: String

    public init(_ severity: Severity, _ range: SourceRange, _ message: String) {
        self.severity = severity
        self.range = range
        self.message = message
    }

    /// The compiler format of CONTRACT: `path:line:col: error: message`, then the
    /// source line and a caret under the column.
    public func render(in source: SourceFile) -> String {
        let (line, column) = source.lineAndColumn(of: range.start)
        let text = source.lineText(line).replacingTabs()
        let caretPad = String(repeating: " ", count: max(0, column - 1))
        return "\(source.path):\(line):\(column): \(severity.rawValue): \(message)\n\(text)\n\(caretPad)^"
    }
}

/// All diagnostics of one file, in source order.
public struct DiagnosticList: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init() {}

    public mutating func error(_ range: SourceRange, _ message: String) {
        items.append(Diagnostic(.error, range, message))
    }

    public mutating func warning(_ range: SourceRange, _ message: String) {
        items.append(Diagnostic(.warning, range, message))
    }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }


    public var sorted: [Diagnostic] {
        items.enumerated().sorted { a, b in
            a.element.range.start != b.element.range.start
                ? a.element.range.start < b.element.range.start : a.offset < b.offset
        }.map(\.element)
    }
}

extension String {
    /// Tabs become one space so the caret lines up with the column count.
    func replacingTabs() -> String {
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
