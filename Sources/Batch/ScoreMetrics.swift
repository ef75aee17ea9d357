import Rules

/// What a scored history says: actions, and with labels the confusion matrix,
/// precision and recall overall, per rule and per action, a precision-recall
/// curve over score thresholds, score histograms by label and decisions per day.
public struct ScoreMetrics: Sendable {
    public struct RuleHits: Sendable {
        public let name: String
        public let action: String
        public let isShadow: Bool
        public var hits = 0
        /// Hits on rows labelled fraud.
        public var fraudHits = 0
        public var precision: Double? { hits > 0 ? Double(fraudHits) / Double(hits) : nil }
    }

    public struct ActionCount: Sendable {
        public var count = 0
        public var fraud = 0
    }

    public struct DayCounts: Sendable {
        public let day: String
        /// By action severity (allow, challenge, review, block).
        public var actions = [Int](repeating: 0, count: 4)
        public var fraud = 0
        public var fraudFlagged = 0
    }

    public struct CurvePoint: Sendable {
        /// Rows with score ≥ threshold are flagged.
        public let threshold: Int64
        public let precision: Double
        public let recall: Double
        public let flaggedFraction: Double
    }

    /// Rows in the metrics' time range (all rows without one).
    public var rows = 0
    /// Every row scored (the whole history); throughput counts these.
    public var scoredRows = 0
    public var seconds = 0.0
    public var actions = [ActionCount](repeating: ActionCount(), count: 4)
    public var hasLabels = false
    public var truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0
    public var rules: [RuleHits] = []
    public var days: [DayCounts] = []
    /// With labels: the curve of flagging by score alone.
    public var curve: [CurvePoint] = []
    /// Recall when the same share of rows as flagged is picked by highest score.
    public var recallAtReviewRate: Double?
    /// Score histogram: bucket lower bounds and counts per label (legitimate, fraud).
    public var scoreBuckets: [Int64] = []
    public var scoreCountsLegitimate: [Int] = []
    public var scoreCountsFraud: [Int] = []
    public var malformedRows = 0
    public var phaseSeconds: [(phase: String, seconds: Double)] = []

    public var flagged: Int { rows - actions[0].count }
    public var precision: Double? { truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil }
    public var recall: Double? { truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : nil }
    public var rowsPerSecond: Double { seconds > 0 ? Double(scoredRows) / seconds : 0 }

    /// Metrics of the rows whose time is in `timeRange` (all rows when nil).
    public init(result: ScoreResult, table: BatchTable, ruleSet: RuleSet, timeRange: Range<Int64>? = nil) {
        seconds = result.seconds
        scoredRows = table.rowCount
        phaseSeconds = result.phaseSeconds
        malformedRows = table.malformedCount
        hasLabels = table.labels != nil
        rules = ruleSet.rules.map { rule in
            RuleHits(name: rule.name, action: ScoreMetrics.describe(rule.action), isShadow: rule.isShadow)
        }
        var dayIndex: [Int64: Int] = [:]
        var scoresLegitimate: [Int64] = [], scoresFraud: [Int64] = []
        for position in 0..<table.rowCount {
            let time = table.times[position]
            if let timeRange, !timeRange.contains(time) { continue }
            rows += 1
            let severity = Int(result.actions[position])
            let isFraud = table.labels?[position] ?? false
            actions[severity].count += 1
            if isFraud { actions[severity].fraud += 1 }
            for rule in result.fired(position) {
                rules[Int(rule)].hits += 1
                if isFraud { rules[Int(rule)].fraudHits += 1 }
            }
            let day = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
            let index: Int
            if let known = dayIndex[day] {
                index = known
            } else {
                index = days.count
                dayIndex[day] = index
                days.append(DayCounts(day: TimeText.dateText(day: day)))
            }
            days[index].actions[severity] += 1
            guard hasLabels else { continue }
            let flagged = severity != 0
            if isFraud {
                days[index].fraud += 1
                if flagged { days[index].fraudFlagged += 1 }
            }
            switch (flagged, isFraud) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1
            case (false, true): falseNegatives += 1
            case (false, false): trueNegatives += 1
            }
            if isFraud { scoresFraud.append(result.scores[position]) } else { scoresLegitimate.append(result.scores[position]) }
        }
        days.sort { $0.day < $1.day }
        if hasLabels { summarizeScores(legitimate: scoresLegitimate, fraud: scoresFraud) }
    }

    private mutating func summarizeScores(legitimate: [Int64], fraud: [Int64]) {
        let all = (legitimate + fraud).sorted(by: >)
        guard !all.isEmpty, !fraud.isEmpty else { return }
        let fraudSorted = fraud.sorted(by: >)
        // Curve: one point per distinct score, flagging rows with score ≥ it.
        var fraudIndex = 0, allIndex = 0
        var thresholds = Array(Set(all)).sorted(by: >)
        if thresholds.count > 200 {
            let step = Double(thresholds.count) / 200
            thresholds = (0..<200).map { thresholds[Int(Double($0) * step)] } + [thresholds.last!]
        }
        for threshold in thresholds {
            while allIndex < all.count && all[allIndex] >= threshold { allIndex += 1 }
            while fraudIndex < fraudSorted.count && fraudSorted[fraudIndex] >= threshold { fraudIndex += 1 }
            curve.append(CurvePoint(threshold: threshold, precision: Double(fraudIndex) / Double(allIndex),
                                    recall: Double(fraudIndex) / Double(fraud.count),
                                    flaggedFraction: Double(allIndex) / Double(all.count)))
        }
        // Recall at the review rate: the top `flagged` rows by score (ties counted in proportion).
        let picked = flagged
        if picked > 0 {
            let cutoff = all[min(picked, all.count) - 1]
            let above = all.prefix { $0 > cutoff }.count
            let atCutoff = all.filter { $0 == cutoff }.count
            let fraudAbove = fraudSorted.prefix { $0 > cutoff }.count
            let fraudAtCutoff = fraudSorted.filter { $0 == cutoff }.count
            let share = Double(picked - above) / Double(atCutoff)
            recallAtReviewRate = (Double(fraudAbove) + share * Double(fraudAtCutoff)) / Double(fraud.count)
        }
        // Histogram: up to 20 equal buckets between the lowest and highest score.
        let low = all.last!, high = all.first!
        let width = max(1, (high - low + 20) / 20)
        scoreBuckets = stride(from: low, through: high, by: Int(width)).map { $0 }
        scoreCountsLegitimate = [Int](repeating: 0, count: scoreBuckets.count)
        scoreCountsFraud = [Int](repeating: 0, count: scoreBuckets.count)
        for score in legitimate { scoreCountsLegitimate[Int((score - low) / width)] += 1 }
        for score in fraud { scoreCountsFraud[Int((score - low) / width)] += 1 }
    }

    static func describe(_ action: RuleAction) -> String {
        switch action {
        case .block: "block"
        case .allow: "allow"
        case .review: "review"
        case .challenge: "challenge"
        case .score(let points): points >= 0 ? "score +\(points)" : "score \(points)"
        }
    }
}
