/// `tollgate rules fmt`: the canonical text of a rule file. Comments and single
/// blank lines between statements are kept; expressions print with minimal
/// parentheses; consecutive rules align their actions and consecutive features
/// their `=`. Formatting formatted text changes nothing.
public enum RuleFormatter {
    /// Nil when the file does not parse (the formatter never drops text it did not understand).
    public static func format(_ source: SourceFile) -> String? {
        let (syntax, diagnostics) = Parser.parse(source)
        guard !diagnostics.hasErrors else { return nil }
        var printer = Printer(source: source, comments: syntax.comments)
        printer.print(syntax.statements)
        return printer.output
    }

    private struct Printer {
        let source: SourceFile
        let comments: [Comment]
        var commentIndex = 0
        var output = ""
        var lastEnd = 0

        init(source: SourceFile, comments: [Comment]) {
            self.source = source
            self.comments = comments
        }

        /// True when a blank line separates `offset` from the previous printed item.
        private func blankLineBefore(_ offset: Int) -> Bool {
            guard !output.isEmpty else { return false }
            let lineNow = source.lineAndColumn(of: offset).line
            let lineBefore = source.lineAndColumn(of: max(0, lastEnd - 1)).line
            guard lineNow - lineBefore >= 2 else { return false }
            for line in (lineBefore + 1)..<lineNow where source.lineText(line).allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                return true
            }
            return false
        }

        /// Prints the full-line comments that stand before `offset`.
        private mutating func flushComments(before offset: Int, indent: String) {
            while commentIndex < comments.count, comments[commentIndex].range.start < offset {
                let comment = comments[commentIndex]
                if blankLineBefore(comment.range.start) { output += "\n" }
                output += indent + trimmed(comment.text) + "\n"
                lastEnd = comment.range.end
                commentIndex += 1
            }
        }

        /// Comments inside `range` (or on its last line) go after the statement on its line.
        private mutating func trailingComments(through range: SourceRange) -> String {
            let endLine = source.lineAndColumn(of: max(range.start, range.end - 1)).line
            var parts: [String] = []
            while commentIndex < comments.count {
                let comment = comments[commentIndex]
                guard comment.range.start < range.end || (comment.trailing && source.lineAndColumn(of: comment.range.start).line == endLine) else { break }
                parts.append(trimmed(comment.text))
                lastEnd = max(lastEnd, comment.range.end)
                commentIndex += 1
            }
            return parts.isEmpty ? "" : "  " + parts.joined(separator: " ")
        }

        private func trimmed(_ text: String) -> String {
            var text = Substring(text)
            while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
            return String(text)
        }

        mutating func print(_ statements: [Statement]) {
            var index = 0
            while index < statements.count {
                // Group consecutive rules (or lets) with no blank line or comment between, to align them.
                var end = index + 1
                while end < statements.count, sameKind(statements[end - 1], statements[end]), !separated(statements[end - 1], statements[end]) {
                    end += 1
                }
                printGroup(Array(statements[index..<end]))
                index = end
            }
            flushComments(before: Int.max, indent: "")
        }

        private func sameKind(_ a: Statement, _ b: Statement) -> Bool {
            switch (a, b) {
            case (.rule, .rule), (.letFeature, .letFeature), (.list, .list): true
            default: false
            }
        }

        /// A blank line ends an alignment group; comment lines do not.
        private func separated(_ a: Statement, _ b: Statement) -> Bool {
            let lineA = source.lineAndColumn(of: max(a.range.start, a.range.end - 1)).line
            let lineB = source.lineAndColumn(of: b.range.start).line
            guard lineB - lineA > 1 else { return false }
            for line in (lineA + 1)..<lineB where source.lineText(line).allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                return true
            }
            return false
        }

        private mutating func printGroup(_ group: [Statement]) {
            var heads: [String] = []
            for statement in group {
                switch statement {
                case .rule(let rule): heads.append("rule \(rule.name)\(rule.shadow ? " (shadow)" : ""):")
                case .letFeature(let feature): heads.append("let \(feature.name)")
                case .list(let list): heads.append("list \(list.name)")
                default: heads.append("")
                }
            }
            let headWidth = heads.map(\.count).max() ?? 0
            let actionWidth = group.compactMap { if case .rule(let r) = $0 { actionText(r.action).count } else { nil } }.max() ?? 0
            for (statement, head) in zip(group, heads) {
                flushComments(before: statement.range.start, indent: "")
                if blankLineBefore(statement.range.start) { output += "\n" }
                switch statement {
                case .list(let list):
                    output += head.padding(headWidth) + " = "
                    switch list.source {
                    case .file(let path, _): output += "file " + ExpressionPrinter.quoted(path)
                    case .inline(let values): output += inlineList(values.map(\.value))
                    }
                case .letFeature(let feature):
                    output += head.padding(headWidth) + " = "
                    switch feature.value {
                    case .expression(let e): output += ExpressionPrinter.print(e, source: source)
                    case .aggregate(let a): output += ExpressionPrinter.aggregate(a, source: source)
                    }
                case .rule(let rule):
                    let prefix = head.padding(headWidth) + " " + actionText(rule.action).padding(actionWidth) + " if "
                    output += prefix + wrapped(rule.condition, column: prefix.count)
                case .decide(let block):
                    output += "decide:" + trailingComments(through: SourceRange(block.range.start, block.range.start + 6)) + "\n"
                    for entry in block.entries {
                        flushComments(before: entry.range.start, indent: "  ")
                        output += "  " + entry.action.rawValue
                        if let condition = entry.condition { output += " if " + ExpressionPrinter.print(condition, source: source) }
                        output += trailingComments(through: entry.range) + "\n"
                        lastEnd = entry.range.end
                    }
                    lastEnd = statement.range.end
                    continue
                case .test(let test):
                    output += "test " + ExpressionPrinter.quoted(test.name) + ":\n"
                    for (index, given) in test.givens.enumerated() {
                        if given.startsLine {
                            flushComments(before: given.nameRange.start, indent: "  ")
                            output += "  given "
                        } else {
                            output += ", "
                        }
                        output += "\(given.name) = \(ExpressionPrinter.print(given.value, source: source))"
                        if index + 1 == test.givens.count || test.givens[index + 1].startsLine {
                            output += trailingComments(through: given.value.range) + "\n"
                        }
                        lastEnd = given.value.range.end
                    }
                    if let expectation = test.expectation {
                        flushComments(before: expectation.range.start, indent: "  ")
                        output += "  expect " + expectation.action.rawValue
                        if !expectation.rules.isEmpty { output += " by " + expectation.rules.map(\.name).joined(separator: ", ") }
                        output += trailingComments(through: expectation.range) + "\n"
                    }
                    lastEnd = statement.range.end
                    continue
                }
                output += trailingComments(through: statement.range) + "\n"
                lastEnd = statement.range.end
            }
        }

        /// A long condition that is a chain of `and` (or `or`) breaks before
        /// the operator, continuation lines aligned under the condition.
        private func wrapped(_ condition: Expr, column: Int) -> String {
            let oneLine = ExpressionPrinter.print(condition, source: source)
            guard column + oneLine.count > lineWidthMax, case .binary(let op, _, _) = condition.kind, op == .and || op == .or else {
                return oneLine
            }
            var parts: [Expr] = []
            func collect(_ e: Expr) {
                if case .binary(op, let l, let r) = e.kind { collect(l); collect(r) } else { parts.append(e) }
            }
            collect(condition)
            let indent = String(repeating: " ", count: column)
            var lines: [String] = []
            var line = ""
            for part in parts {
                let text = ExpressionPrinter.print(part, source: source)
                let piece = ExpressionPrinter.precedence(part) <= op.precedence ? "(" + text + ")" : text
                if line.isEmpty {
                    line = piece
                } else if column + line.count + op.rawValue.count + piece.count + 2 <= lineWidthMax {
                    line += " \(op.rawValue) " + piece
                } else {
                    lines.append(line)
                    line = "\(op.rawValue) " + piece
                }
            }
            lines.append(line)
            return lines.joined(separator: "\n" + indent)
        }

        private let lineWidthMax = 100

        private func actionText(_ action: RuleAction) -> String {
            switch action {
            case .block: "block"
            case .review: "review"
            case .challenge: "challenge"
            case .allow: "allow"
            case .score(let points): points >= 0 ? "score +\(points)" : "score \(points)"
            }
        }

        /// One line when short; otherwise one item per line.
        private func inlineList(_ values: [String]) -> String {
            let quoted = values.map(ExpressionPrinter.quoted)
            let oneLine = "[" + quoted.joined(separator: ", ") + "]"
            if oneLine.count <= 80 { return oneLine }
            return "[\n" + quoted.map { "  " + $0 + "," }.joined(separator: "\n") + "\n]"
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
