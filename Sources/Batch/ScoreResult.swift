import Rules

/// What scoring a history produced, by replay position (see `BatchTable`).
public struct ScoreResult: Sendable {
    /// Action severity per row: 0 allow, 1 challenge, 2 review, 3 block (`Action.severity`).
    public var actions: [UInt8]
    public var scores: [Int64]
    /// Rules that fired for row i: `firedRules[firedOffsets[i]..<firedOffsets[i + 1]]` (indices into `RuleSet.rules`).
    public var firedOffsets: [Int32]
    public var firedRules: [Int32]
    /// With `emitFeatures`: every `let` feature's text per row ("" = missing), in `RuleSet.featureNames` order.
    public var featureTexts: [[String]]
    public var seconds: Double = 0
    /// Where the time went: (phase, seconds) in order.
    public var phaseSeconds: [(phase: String, seconds: Double)] = []

    public static let actionsBySeverity: [Action] = [.allow, .challenge, .review, .block]

    public func action(_ position: Int) -> Action { ScoreResult.actionsBySeverity[Int(actions[position])] }

    public func fired(_ position: Int) -> ArraySlice<Int32> {
        firedRules[Int(firedOffsets[position])..<Int(firedOffsets[position + 1])]
    }

    /// A row counts as flagged when its action is not allow (CONTRACT).
    public func isFlagged(_ position: Int) -> Bool { actions[position] != 0 }
}
