import Foundation

/// Small inline SVG charts for the HTML report: no scripts, no network.
enum SVGChart {
    static let width = 720.0, height = 260.0
    static let left = 56.0, right = 16.0, top = 16.0, bottom = 40.0
    static let palette = ["#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#1565c0", "#6a1b9a"]

    /// Vertical stacked bars, one per label (e.g. decisions per day by action).
    static func stackedBars(labels: [String], series: [(name: String, values: [Double])], yTitle: String) -> String {
        let count = max(1, labels.count)
        let totals = (0..<labels.count).map { index in series.reduce(0) { $0 + $1.values[index] } }
        let maxTotal = max(1, totals.max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let barWidth = plotWidth / Double(count)
        var svg = open()
        svg += axes(maxValue: maxTotal, yTitle: yTitle)
        for index in 0..<labels.count {
            var y = top + plotHeight
            for (seriesIndex, entry) in series.enumerated() {
                let barHeight = entry.values[index] / maxTotal * plotHeight
                guard barHeight > 0 else { continue }
                y -= barHeight
                svg += rect(x: left + Double(index) * barWidth + barWidth * 0.1, y: y, width: max(1, barWidth * 0.8),
                            height: barHeight, color: palette[seriesIndex % palette.count],
                            title: "\(labels[index]): \(entry.name) \(Int(entry.values[index]))")
            }
        }
        svg += xLabels(labels, slotWidth: barWidth)
        svg += legend(series.map(\.name))
        return svg + "</svg>"
    }

    /// Grouped bars (e.g. score histogram: share of legitimate vs fraud rows per bucket).
    static func groupedBars(labels: [String], series: [(name: String, values: [Double])], yTitle: String, colors: [String]) -> String {
        let count = max(1, labels.count)
        let maxValue = max(1e-9, series.flatMap(\.values).max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let slot = plotWidth / Double(count)
        let barWidth = slot * 0.8 / Double(max(1, series.count))
        var svg = open()
        svg += axes(maxValue: maxValue, yTitle: yTitle, asPercent: true)
        for index in 0..<labels.count {
            for (seriesIndex, entry) in series.enumerated() {
                let barHeight = entry.values[index] / maxValue * plotHeight
                guard barHeight > 0 else { continue }
                svg += rect(x: left + Double(index) * slot + slot * 0.1 + Double(seriesIndex) * barWidth, y: top + plotHeight - barHeight,
                            width: max(1, barWidth), height: barHeight, color: colors[seriesIndex % colors.count],
                            title: "score \(labels[index]): \(entry.name) \(String(format: "%.2f%%", entry.values[index] * 100))")
            }
        }
        svg += xLabels(labels, slotWidth: slot)
        svg += legend(series.map(\.name), colors: colors)
        return svg + "</svg>"
    }

    /// Horizontal bars with a value label (top rules by hits).
    static func horizontalBars(_ items: [(label: String, value: Double, note: String)]) -> String {
        let rowHeight = 22.0
        let chartHeight = Double(items.count) * rowHeight + 10
        let labelWidth = 220.0
        let maxValue = max(1, items.map(\.value).max() ?? 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(chartHeight))\" class=\"chart\">"
        for (index, item) in items.enumerated() {
            let y = Double(index) * rowHeight + 5
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\" class=\"label\">\(HTMLText.escape(item.label))</text>"
            let barWidth = item.value / maxValue * (width - labelWidth - 160)
            svg += rect(x: labelWidth, y: y + 3, width: max(1, barWidth), height: rowHeight - 6, color: palette[4], title: "\(item.label): \(item.note)")
            svg += "<text x=\"\(labelWidth + barWidth + 6)\" y=\"\(y + 15)\" class=\"label\">\(HTMLText.escape(item.note))</text>"
        }
        return svg + "</svg>"
    }

    /// Precision (y) against recall (x), both 0…1, with one highlighted point.
    static func precisionRecall(_ points: [(recall: Double, precision: Double)], marked: (recall: Double, precision: Double)?) -> String {
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ recall: Double) -> Double { left + recall * plotWidth }
        func y(_ precision: Double) -> Double { top + (1 - precision) * plotHeight }
        var svg = open()
        svg += axes(maxValue: 1, yTitle: "precision", asPercent: true)
        for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
            svg += "<text x=\"\(x(tick))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\" class=\"label\">\(Int(tick * 100))%</text>"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"label\">recall</text>"
        let path = points.sorted { $0.recall < $1.recall }.map { "\(String(format: "%.1f", x($0.recall))),\(String(format: "%.1f", y($0.precision)))" }
        if !path.isEmpty {
            svg += "<polyline fill=\"none\" stroke=\"\(palette[4])\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>"
        }
        if let marked {
            svg += "<circle cx=\"\(x(marked.recall))\" cy=\"\(y(marked.precision))\" r=\"5\" fill=\"\(palette[3])\"><title>the rules' decisions: recall \(String(format: "%.1f%%", marked.recall * 100)), precision \(String(format: "%.1f%%", marked.precision * 100))</title></circle>"
        }
        return svg + "</svg>"
    }

    private static func open() -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" class=\"chart\">"
    }

    private static func axes(maxValue: Double, yTitle: String, asPercent: Bool = false) -> String {
        let plotHeight = height - top - bottom
        var svg = "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - right)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        for step in 0...4 {
            let value = maxValue * Double(step) / 4
            let y = top + plotHeight - Double(step) / 4 * plotHeight
            let text = asPercent ? String(format: "%.0f%%", value * 100) : compact(value)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - right)\" y2=\"\(y)\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\" class=\"label\">\(text)</text>"
        }
        svg += "<text x=\"12\" y=\"\(top + plotHeight / 2)\" transform=\"rotate(-90 12 \(top + plotHeight / 2))\" text-anchor=\"middle\" class=\"label\">\(HTMLText.escape(yTitle))</text>"
        return svg
    }

    private static func xLabels(_ labels: [String], slotWidth: Double) -> String {
        let every = max(1, Int((60 / slotWidth).rounded(.up)))
        var svg = ""
        for (index, label) in labels.enumerated() where index % every == 0 {
            svg += "<text x=\"\(left + (Double(index) + 0.5) * slotWidth)\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\" class=\"label\">\(HTMLText.escape(label))</text>"
        }
        return svg
    }

    private static func legend(_ names: [String], colors: [String] = palette) -> String {
        var svg = ""
        var x = left
        for (index, name) in names.enumerated() {
            svg += "<rect x=\"\(x)\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"\(colors[index % colors.count])\"/>"
            svg += "<text x=\"\(x + 14)\" y=\"\(height - 5)\" class=\"label\">\(HTMLText.escape(name))</text>"
            x += 24 + Double(name.count) * 7
        }
        return svg
    }

    private static func rect(x: Double, y: Double, width: Double, height: Double, color: String, title: String) -> String {
        let geometry = String(format: "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x, y, width, height)
        return "<rect \(geometry) fill=\"\(color)\"><title>\(HTMLText.escape(title))</title></rect>"
    }

    static func compact(_ value: Double) -> String {
        if value >= 1_000_000 { return String(format: "%.1fM", value / 1_000_000) }
        if value >= 10_000 { return String(format: "%.0fk", value / 1_000) }
        return String(format: "%.0f", value)
    }
}

enum HTMLText {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
