import Foundation
import Rules

/// `--columns`: which input column feeds each fact (`fact=column,...`).
/// One column may feed several facts; `id` names the row id and `label` the
/// truth column (the `--label` option adds it too).
public struct ColumnMap: Sendable {
    public struct Entry: Sendable, Equatable {
        public let fact: String
        public let column: String
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Parses and checks the mapping: every fact known, none mapped twice, `time` present.
    public static func parse(_ text: String) throws(BatchError) -> ColumnMap {
        var entries: [Entry] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = piece.trimmingCharacters(in: .whitespaces)
            guard let equals = pair.firstIndex(of: "=") else {
                throw BatchError("--columns: '\(pair)' is not fact=column (e.g. time=TX_DATETIME,amount=TX_AMOUNT)")
            }
            let fact = pair[..<equals].trimmingCharacters(in: .whitespaces)
            let column = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !fact.isEmpty, !column.isEmpty else {
                throw BatchError("--columns: '\(pair)' needs both a fact and a column")
            }
            guard FactCatalog.entry(fact) != nil else {
                throw BatchError("--columns: unknown fact '\(fact)' (facts are DESIGN's vocabulary: time, amount, card, customer, merchant, ...)")
            }
            guard !entries.contains(where: { $0.fact == fact }) else {
                throw BatchError("--columns: fact '\(fact)' is mapped twice")
            }
            entries.append(Entry(fact: fact, column: column))
        }
        guard entries.contains(where: { $0.fact == "time" }) else {
            throw BatchError("--columns: map the 'time' fact (rows are replayed in time order), e.g. time=TX_DATETIME")
        }
        return ColumnMap(entries: entries)
    }

    /// Adds `label=COLUMN` (from `--label`), refusing a different mapping.
    public mutating func setLabel(_ column: String) throws(BatchError) {
        if let existing = entries.first(where: { $0.fact == "label" }) {
            guard existing.column == column else {
                throw BatchError("--label \(column) disagrees with --columns label=\(existing.column)")
            }
            return
        }
        entries.append(Entry(fact: "label", column: column))
    }

    public func column(for fact: String) -> String? { entries.first { $0.fact == fact }?.column }
}
