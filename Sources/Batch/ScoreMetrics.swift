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
        var lastDay: Int64 = .min, lastIndex = 0
        // Scores are sums of rule points: few distinct values, so count them instead of sorting rows.
        var scoreCounts: [Int64: (legitimate: Int, fraud: Int)] = [:]
        var lastScore: Int64?, lastScoreCounts = (legitimate: 0, fraud: 0)
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
            if day == lastDay {
                index = lastIndex
            } else if let known = dayIndex[day] {
                index = known
            } else {
                index = days.count
                dayIndex[day] = index
                days.append(DayCounts(day: TimeText.dateText(day: day)))
            }
            lastDay = day
            lastIndex = index
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
            let score = result.scores[position]
            if score == lastScore {
                if isFraud { lastScoreCounts.fraud += 1 } else { lastScoreCounts.legitimate += 1 }
            } else {
                if let lastScore { scoreCounts[lastScore] = lastScoreCounts }
                lastScore = score
                lastScoreCounts = scoreCounts[score] ?? (0, 0)
                if isFraud { lastScoreCounts.fraud += 1 } else { lastScoreCounts.legitimate += 1 }
            }
        }
        if let lastScore { scoreCounts[lastScore] = lastScoreCounts }
        days.sort { $0.day < $1.day }
        if hasLabels { summarizeScores(scoreCounts) }
    }

    /// The curve, recall at the review rate and the histogram, from counts per score.
    private mutating func summarizeScores(_ counts: [Int64: (legitimate: Int, fraud: Int)]) {
        let fraudTotal = counts.values.reduce(0) { $0 + $1.fraud }
        let allTotal = counts.values.reduce(0) { $0 + $1.fraud + $1.legitimate }
        guard fraudTotal > 0, allTotal > 0 else { return }
        // Highest score first: flagging rows with score ≥ threshold.
        let descending = counts.keys.sorted(by: >)
        var step = 1
        if descending.count > 200 { step = descending.count / 200 }
        var rowsAtOrAbove = 0, fraudAtOrAbove = 0
        for (index, score) in descending.enumerated() {
            rowsAtOrAbove += counts[score]!.legitimate + counts[score]!.fraud
            fraudAtOrAbove += counts[score]!.fraud
            guard index % step == 0 || index == descending.count - 1 else { continue }
            curve.append(CurvePoint(threshold: score, precision: Double(fraudAtOrAbove) / Double(rowsAtOrAbove),
                                    recall: Double(fraudAtOrAbove) / Double(fraudTotal),
                                    flaggedFraction: Double(rowsAtOrAbove) / Double(allTotal)))
        }
        // Recall at the review rate: the top `flagged` rows by score, ties at the cut taken in proportion.
        if flagged > 0 {
            var remaining = flagged
            var caught = 0.0
            for score in descending where remaining > 0 {
                let rowsHere = counts[score]!.legitimate + counts[score]!.fraud
                let taken = min(remaining, rowsHere)
                caught += Double(counts[score]!.fraud) * Double(taken) / Double(rowsHere)
                remaining -= taken
            }
            recallAtReviewRate = caught / Double(fraudTotal)
        }
        // Histogram: up to 20 equal buckets between the lowest and highest score.
        let low = descending.last!, high = descending.first!
        let width = max(1, (high - low + 20) / 20)
        scoreBuckets = stride(from: low, through: high, by: Int(width)).map { $0 }
        scoreCountsLegitimate = [Int](repeating: 0, count: scoreBuckets.count)
        scoreCountsFraud = [Int](repeating: 0, count: scoreBuckets.count)
        for (score, count) in counts {
            let bucket = Int((score - low) / width)
            scoreCountsLegitimate[bucket] += count.legitimate
            scoreCountsFraud[bucket] += count.fraud
        }
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
