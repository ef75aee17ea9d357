/// Recursive-descent parser for rule files; binary operators by precedence
/// climbing over `BinaryOperator.precedence`. A syntax error is reported and
/// the parser skips to the next statement, so one run reports every error.
struct Parser {
    private struct Abort: Error {}

    private let source: SourceFile
    private let tokens: [Token]
    private let limits: RuleLimits
    private var index = 0
    /// Indentation of the statement being parsed: a newline followed by a
    /// deeper-indented line continues it.
    private var statementIndentColumn = 1
    private var depth = 0
    private var nodesInStatement = 0
    var diagnostics: DiagnosticList

    static func parse(_ source: SourceFile, limits: RuleLimits = .standard) -> (syntax: RuleFileSyntax, diagnostics: DiagnosticList) {
        if source.bytes.count > limits.fileBytesMax {
            var diagnostics = DiagnosticList()
            diagnostics.error(SourceRange(0, 0), "file is \(source.bytes.count) bytes; the limit is \(limits.fileBytesMax) bytes")
            return (RuleFileSyntax(statements: [], comments: []), diagnostics)
        }
        let lexed = Lexer.tokenize(source, limits: limits)
        var parser = Parser(source: source, tokens: lexed.tokens, limits: limits, diagnostics: lexed.diagnostics)
        let statements = parser.parseFile()
        return (RuleFileSyntax(statements: statements, comments: lexed.comments), parser.diagnostics)
    }

    private init(source: SourceFile, tokens: [Token], limits: RuleLimits, diagnostics: DiagnosticList) {
        self.source = source
        self.tokens = tokens
        self.limits = limits
        self.diagnostics = diagnostics
    }

    // MARK: - Token access

    private var current: Token { tokens[index] }

    private func text(_ token: Token) -> String {
        String(decoding: source.bytes[token.range.start..<token.range.end], as: UTF8.self)
    }

    private func isKeyword(_ word: String, _ token: Token? = nil) -> Bool {
        let token = token ?? current
        guard token.kind == .identifier, token.range.end - token.range.start == word.utf8.count else { return false }
        return source.bytes[token.range.start..<token.range.end].elementsEqual(word.utf8)
    }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if token.kind != .endOfFile { index += 1 }
        return token
    }

    /// Skips a newline that only continues the current statement on a deeper-indented line.
    private mutating func skipContinuationNewline() {
        while current.kind == .newline, index + 1 < tokens.count {
            let next = tokens[index + 1]
            guard next.kind != .endOfFile, next.lineIndentColumn > statementIndentColumn else { return }
            index += 1
        }
    }

    private mutating func fail(_ range: SourceRange, _ message: String) -> Abort {
        // The lexer already reported a bad token; one error per place is enough.
        if !diagnostics.items.contains(where: { $0.range.start == range.start }) {
            diagnostics.error(range, message)
        }
        return Abort()
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .newline: return "end of line"
        case .endOfFile: return "end of file"
        default:
            let shown = text(token)
            return "'\(shown.count > 40 ? String(shown.prefix(40)) + "…" : shown)'"
        }
    }

    private mutating func expect(_ kind: TokenKind, _ what: String) throws -> Token {
        skipContinuationNewline()
        guard current.kind == kind else {
            throw fail(current.range, "expected \(what), found \(describe(current))")
        }
        return advance()
    }

    private mutating func expectKeyword(_ word: String) throws -> Token {
        skipContinuationNewline()
        guard isKeyword(word) else { throw fail(current.range, "expected '\(word)', found \(describe(current))") }
        return advance()
    }

    private mutating func expectIdentifier(_ what: String) throws -> (String, SourceRange) {
        let token = try expect(.identifier, what)
        return (text(token), token.range)
    }

    private mutating func expectEndOfLine() throws {
        guard current.kind == .newline || current.kind == .endOfFile else {
            throw fail(current.range, "expected end of line, found \(describe(current))")
        }
        _ = advance()
    }

    /// After an error: skip to the next line that starts at `indentColumn` or shallower.
    private mutating func synchronize(toIndent indentColumn: Int) {
        while current.kind != .endOfFile {
            if current.kind == .newline {
                let next = tokens[index + 1]
                if next.kind == .endOfFile || next.lineIndentColumn <= indentColumn {
                    index += 1
                    return
                }
            }
            index += 1
        }
    }

    // MARK: - Statements

    private mutating func parseFile() -> [Statement] {
        var statements: [Statement] = []
        while current.kind != .endOfFile {
            if current.kind == .newline { _ = advance(); continue }
            if diagnostics.items.count > limits.diagnosticsMax { break }
            statementIndentColumn = 1
            nodesInStatement = 0
            depth = 0
            if current.lineIndentColumn != 1 {
                diagnostics.error(current.range, "unexpected indentation; statements start in the first column (only the lines of 'decide:' and 'test' blocks are indented)")
                synchronize(toIndent: 1)
                continue
            }
            do {
                statements.append(try parseStatement())
            } catch {
                synchronize(toIndent: 1)
            }
        }
        return statements
    }

    private mutating func parseStatement() throws -> Statement {
        let start = current
        guard start.kind == .identifier else {
            throw fail(start.range, "expected a statement (list, let, rule, decide or test), found \(describe(start))")
        }
        switch text(start) {
        case "list": return .list(try parseList())
        case "let": return .letFeature(try parseLet())
        case "rule": return .rule(try parseRule())
        case "decide": return .decide(try parseDecide())
        case "test": return .test(try parseTest())
        default:
            throw fail(start.range, "expected a statement (list, let, rule, decide or test), found \(describe(start))")
        }
    }

    private mutating func parseList() throws -> ListDecl {
        let keyword = advance()
        let (name, nameRange) = try expectIdentifier("a list name")
        _ = try expect(.equal, "'=' after the list name")
        skipContinuationNewline()
        if isKeyword("file") {
            _ = advance()
            let pathToken = try expect(.string, "a quoted file path after 'file'")
            try expectEndOfLine()
            return ListDecl(name: name, nameRange: nameRange,
                            source: .file(path: try stringValue(pathToken), range: pathToken.range),
                            range: keyword.range.union(pathToken.range))
        }
        _ = try expect(.leftBracket, "'[' or 'file' after '='")
        var values: [(String, SourceRange)] = []
        while current.kind != .rightBracket {
            let item = try expect(.string, "a quoted list item")
            values.append((try stringValue(item), item.range))
            if values.count > limits.listItemsMax {
                throw fail(item.range, "list '\(name)' has more than \(limits.listItemsMax) items")
            }
            if current.kind == .comma { _ = advance() } else { break }
        }
        let close = try expect(.rightBracket, "',' or ']' in the list")
        try expectEndOfLine()
        return ListDecl(name: name, nameRange: nameRange, source: .inline(values), range: keyword.range.union(close.range))
    }

    private mutating func parseLet() throws -> LetDecl {
        let keyword = advance()
        let (name, nameRange) = try expectIdentifier("a feature name")
        _ = try expect(.equal, "'=' after the feature name")
        skipContinuationNewline()
        if current.kind == .identifier, let function = AggregateFunction(rawValue: text(current)),
           tokens[index + 1].kind == .leftParen, looksLikeAggregate(from: index + 2) {
            let aggregate = try parseAggregate(function)
            try expectEndOfLine()
            return LetDecl(name: name, nameRange: nameRange, value: .aggregate(aggregate), range: keyword.range.union(aggregate.range))
        }
        let value = try parseExpression()
        try expectEndOfLine()
        return LetDecl(name: name, nameRange: nameRange, value: .expression(value), range: keyword.range.union(value.range))
    }

    /// `min(a, b)` is a function call; `min(amount by card over 1d)` an aggregate.
    private func looksLikeAggregate(from start: Int) -> Bool {
        var i = start
        var nesting = 0
        while i < tokens.count {
            let token = tokens[i]
            switch token.kind {
            case .leftParen, .leftBracket: nesting += 1
            case .rightParen, .rightBracket:
                if nesting == 0 { return false }
                nesting -= 1
            case .newline, .endOfFile: return false
            case .identifier where nesting == 0 && isKeyword("by", token): return true
            default: break
            }
            i += 1
        }
        return false
    }

    private mutating func parseAggregate(_ function: AggregateFunction) throws -> AggregateExpr {
        let functionToken = advance()
        _ = try expect(.leftParen, "'('")
        var value: String?
        var valueRange: SourceRange?
        let (subject, subjectRange) = try expectIdentifier(function == .count ? "'payments'" : "the fact to aggregate")
        if function == .count {
            guard subject == "payments" else {
                throw fail(subjectRange, "count counts 'payments': write count(payments by KEY over WINDOW)")
            }
        } else {
            value = subject
            valueRange = subjectRange
        }
        _ = try expectKeyword("by")
        var keys: [String] = []
        var keyRanges: [SourceRange] = []
        repeat {
            if !keys.isEmpty { _ = advance() }
            let (key, keyRange) = try expectIdentifier("a key fact after 'by'")
            keys.append(key)
            keyRanges.append(keyRange)
        } while current.kind == .comma
        _ = try expectKeyword("over")
        let windowToken = try expect(.duration, "a window such as 10m, 1h or 7d after 'over'")
        let windowSeconds = try durationSeconds(windowToken)
        var filter: Expr?
        skipContinuationNewline()
        if isKeyword("where") {
            _ = advance()
            filter = try parseExpression()
        }
        let close = try expect(.rightParen, "')' to close \(function.rawValue)(")
        return AggregateExpr(function: function, value: value, valueRange: valueRange, keys: keys, keyRanges: keyRanges,
                             windowSeconds: windowSeconds, windowRange: windowToken.range, filter: filter,
                             range: functionToken.range.union(close.range))
    }

    private mutating func parseRule() throws -> RuleDecl {
        let keyword = advance()
        let (name, nameRange) = try expectIdentifier("a rule name")
        var shadow = false
        if current.kind == .leftParen {
            _ = advance()
            let (mode, modeRange) = try expectIdentifier("'shadow'")
            guard mode == "shadow" else { throw fail(modeRange, "unknown rule mode '\(mode)'; the only mode is (shadow)") }
            _ = try expect(.rightParen, "')'")
            shadow = true
        }
        _ = try expect(.colon, "':' after the rule name")
        let (action, actionRange) = try parseRuleAction()
        _ = try expectKeyword("if")
        let condition = try parseExpression()
        try expectEndOfLine()
        return RuleDecl(name: name, nameRange: nameRange, shadow: shadow, action: action, actionRange: actionRange,
                        condition: condition, range: keyword.range.union(condition.range))
    }

    private mutating func parseRuleAction() throws -> (RuleAction, SourceRange) {
        let (word, range) = try expectIdentifier("an action (block, review, challenge, allow or score +N)")
        switch word {
        case "block": return (.block, range)
        case "review": return (.review, range)
        case "challenge": return (.challenge, range)
        case "allow": return (.allow, range)
        case "score":
            var sign: Int64 = 1
            if current.kind == .plus { _ = advance() } else if current.kind == .minus { _ = advance(); sign = -1 }
            let number = try expect(.integer, "score points, such as +25")
            let points = try integerValue(number)
            guard points <= 1_000_000 else { throw fail(number.range, "score points must be at most 1000000") }
            return (.score(sign * points), range.union(number.range))
        default:
            throw fail(range, "unknown action '\(word)'; expected block, review, challenge, allow or score +N")
        }
    }

    private mutating func parseAction(_ what: String) throws -> (Action, SourceRange) {
        let (word, range) = try expectIdentifier(what)
        guard let action = Action(rawValue: word) else {
            throw fail(range, "unknown action '\(word)'; expected block, review, challenge or allow")
        }
        return (action, range)
    }

    /// Lines indented deeper than the header, up to the next line at the header's indentation.
    private mutating func parseBlockLines(_ parseLine: (inout Parser) throws -> Void) throws {
        guard current.kind == .newline else { throw fail(current.range, "expected end of line after ':'") }
        _ = advance()
        while current.kind != .endOfFile && current.lineIndentColumn > 1 {
            if current.kind == .newline { _ = advance(); continue }
            statementIndentColumn = current.lineIndentColumn
            nodesInStatement = 0
            do {
                try parseLine(&self)
            } catch {
                synchronize(toIndent: statementIndentColumn)
            }
        }
        statementIndentColumn = 1
    }

    private mutating func parseDecide() throws -> DecideDecl {
        let keyword = advance()
        _ = try expect(.colon, "':' after 'decide'")
        var entries: [DecideEntry] = []
        var end = keyword.range
        try parseBlockLines { parser in
            let (action, actionRange) = try parser.parseAction("an action (block, review, challenge or allow)")
            var condition: Expr?
            if parser.isKeyword("if") {
                _ = parser.advance()
                condition = try parser.parseExpression()
            }
            try parser.expectEndOfLine()
            let range = condition.map { actionRange.union($0.range) } ?? actionRange
            entries.append(DecideEntry(action: action, condition: condition, range: range))
            end = range
        }
        if entries.isEmpty {
            diagnostics.error(keyword.range, "the decide block is empty; give lines such as 'block if score >= 80' and a last 'allow'")
        }
        return DecideDecl(entries: entries, range: keyword.range.union(end))
    }

    private mutating func parseTest() throws -> TestDecl {
        let keyword = advance()
        let nameToken = try expect(.string, "a quoted test name")
        let name = try stringValue(nameToken)
        _ = try expect(.colon, "':' after the test name")
        var givens: [TestGiven] = []
        var expectation: TestExpectation?
        var end = nameToken.range
        try parseBlockLines { parser in
            let (word, wordRange) = try parser.expectIdentifier("'given' or 'expect'")
            switch word {
            case "given":
                var startsLine = true
                repeat {
                    if parser.current.kind == .comma { _ = parser.advance() }
                    let (fact, factRange) = try parser.expectIdentifier("a fact or feature name")
                    _ = try parser.expect(.equal, "'=' after '\(fact)'")
                    let value = try parser.parseExpression()
                    givens.append(TestGiven(startsLine: startsLine, name: fact, nameRange: factRange, value: value))
                    startsLine = false
                    end = value.range
                } while parser.current.kind == .comma
                try parser.expectEndOfLine()
            case "expect":
                let (action, actionRange) = try parser.parseAction("the expected action")
                var rules: [(String, SourceRange)] = []
                var range = wordRange.union(actionRange)
                if parser.isKeyword("by") {
                    _ = parser.advance()
                    repeat {
                        if parser.current.kind == .comma { _ = parser.advance() }
                        let (rule, ruleRange) = try parser.expectIdentifier("a rule name")
                        rules.append((rule, ruleRange))
                        range = range.union(ruleRange)
                    } while parser.current.kind == .comma
                }
                try parser.expectEndOfLine()
                if expectation != nil {
                    parser.diagnostics.error(wordRange, "a test has one 'expect' line")
                }
                expectation = TestExpectation(action: action, rules: rules, range: range)
                end = range
            default:
                throw parser.fail(wordRange, "expected 'given' or 'expect' in a test, found '\(word)'")
            }
        }
        if expectation == nil {
            diagnostics.error(nameToken.range, "test \"\(name)\" has no 'expect' line")
        }
        return TestDecl(name: name, givens: givens, expectation: expectation, range: keyword.range.union(end))
    }

    // MARK: - Expressions

    mutating func parseExpression() throws -> Expr {
        try parseBinary(minimumPrecedence: BinaryOperator.or.precedence)
    }

    private mutating func enter(_ range: SourceRange) throws {
        depth += 1
        nodesInStatement += 1
        if depth > limits.expressionDepthMax {
            throw fail(range, "expression nests deeper than \(limits.expressionDepthMax) levels")
        }
        if nodesInStatement > limits.expressionNodesMax {
            throw fail(range, "expression has more than \(limits.expressionNodesMax) parts; split it into features or rules")
        }
    }

    /// The binary operator at the current token, if any (`and`/`or` are words).
    private mutating func peekBinaryOperator() -> BinaryOperator? {
        skipContinuationNewline()
        switch current.kind {
        case .equalEqual: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessEqual: return .lessEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterEqual
        case .questionQuestion: return .coalesce
        case .plus: return .add
        case .minus: return .subtract
        case .star: return .multiply
        case .slash: return .divide
        case .identifier:
            if isKeyword("and") { return .and }
            if isKeyword("or") { return .or }
            return nil
        default: return nil
        }
    }

    /// `in`, `not in`, `like`, `not like` after an operand: (word, negated, tokens to consume).
    private func peekMembership() -> (word: String, negated: Bool, width: Int)? {
        if isKeyword("in") { return ("in", false, 1) }
        if isKeyword("like") { return ("like", false, 1) }
        if isKeyword("not"), index + 1 < tokens.count {
            if isKeyword("in", tokens[index + 1]) { return ("in", true, 2) }
            if isKeyword("like", tokens[index + 1]) { return ("like", true, 2) }
        }
        return nil
    }

    private mutating func parseBinary(minimumPrecedence: Int) throws -> Expr {
        try enter(current.range)
        defer { depth -= 1 }
        var left = try parseUnary()
        while true {
            skipContinuationNewline()
            if Precedence.comparison >= minimumPrecedence, let membership = peekMembership() {
                let operatorRange = current.range
                index += membership.width
                left = try parseMembership(left, membership.word, negated: membership.negated, operatorRange: operatorRange)
                continue
            }
            guard let op = peekBinaryOperator(), op.precedence >= minimumPrecedence else { return left }
            let operatorToken = advance()
            // Comparisons do not chain (`a < b < c` is an error); the rest are left-associative.
            let right = try parseBinary(minimumPrecedence: op.precedence + 1)
            if op.isComparison, case .binary(let inner, _, _) = left.kind, inner.isComparison, !isParenthesized(left) {
                throw fail(operatorToken.range, "comparisons do not chain; join them with 'and'")
            }
            left = Expr(kind: .binary(op, left, right), range: left.range.union(right.range))
        }
    }

    private func isParenthesized(_ expr: Expr) -> Bool {
        source.bytes[expr.range.start] == UInt8(ascii: "(")
    }

    private mutating func parseMembership(_ left: Expr, _ word: String, negated: Bool, operatorRange: SourceRange) throws -> Expr {
        skipContinuationNewline()
        if word == "like" {
            let pattern = try parseBinary(minimumPrecedence: Precedence.comparison + 1)
            return Expr(kind: .like(left, pattern: pattern, negated: negated), range: left.range.union(pattern.range))
        }
        if current.kind == .listReference {
            let token = advance()
            let name = String(decoding: source.bytes[(token.range.start + 1)..<token.range.end], as: UTF8.self)
            return Expr(kind: .inList(left, list: name, listRange: token.range, negated: negated), range: left.range.union(token.range))
        }
        if current.kind == .leftBracket {
            _ = advance()
            var values: [Expr] = []
            while current.kind != .rightBracket {
                values.append(try parseBinary(minimumPrecedence: Precedence.comparison + 1))
                if current.kind == .comma { _ = advance() } else { break }
            }
            let close = try expect(.rightBracket, "',' or ']'")
            return Expr(kind: .inValues(left, values: values, negated: negated), range: left.range.union(close.range))
        }
        throw fail(current.range, "expected '@list' or '[…]' after 'in', found \(describe(current))")
    }

    private mutating func parseUnary() throws -> Expr {
        skipContinuationNewline()
        if isKeyword("not") {
            let token = advance()
            try enter(token.range)
            defer { depth -= 1 }
            let operand = try parseBinary(minimumPrecedence: Precedence.comparison)
            return Expr(kind: .unary(.not, operand), range: token.range.union(operand.range))
        }
        if current.kind == .minus {
            let token = advance()
            try enter(token.range)
            defer { depth -= 1 }
            let operand = try parseUnary()
            // Fold "-5" into a literal so that Int64.min and money literals stay exact.
            switch operand.kind {
            case .integer(let value): return Expr(kind: .integer(-value), range: token.range.union(operand.range))
            case .decimal(let d): return Expr(kind: .decimal(DecimalLiteral(mantissa: -d.mantissa, scale: d.scale)), range: token.range.union(operand.range))
            default: return Expr(kind: .unary(.negate, operand), range: token.range.union(operand.range))
            }
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws -> Expr {
        skipContinuationNewline()
        let token = current
        switch token.kind {
        case .integer:
            _ = advance()
            return Expr(kind: .integer(try integerValue(token)), range: token.range)
        case .decimal:
            _ = advance()
            return Expr(kind: .decimal(try decimalValue(token)), range: token.range)
        case .duration:
            _ = advance()
            return Expr(kind: .duration(seconds: try durationSeconds(token)), range: token.range)
        case .string:
            _ = advance()
            return Expr(kind: .string(try stringValue(token)), range: token.range)
        case .leftParen:
            _ = advance()
            let inner = try parseExpression()
            skipContinuationNewline()
            if current.kind == .newline || current.kind == .endOfFile {
                throw fail(token.range, "this '(' is never closed")
            }
            let close = try expect(.rightParen, "')'")
            var grouped = inner
            grouped.range = token.range.union(close.range)
            return grouped
        case .identifier:
            _ = advance()
            let name = text(token)
            if name == "true" || name == "false" {
                return Expr(kind: .boolean(name == "true"), range: token.range)
            }
            if ["and", "or", "not", "in", "like", "if"].contains(name) {
                throw fail(token.range, "expected a value, found the keyword '\(name)'")
            }
            if current.kind == .leftParen {
                return try parseCall(name, token.range)
            }
            return Expr(kind: .name(name), range: token.range)
        case .listReference:
            throw fail(token.range, "a list can only follow 'in' or 'not in'")
        default:
            throw fail(token.range, "expected a value, found \(describe(token))")
        }
    }

    private mutating func parseCall(_ name: String, _ nameRange: SourceRange) throws -> Expr {
        _ = advance() // (
        var arguments: [Expr] = []
        while current.kind != .rightParen {
            arguments.append(try parseExpression())
            if current.kind == .comma { _ = advance() } else { break }
        }
        let close = try expect(.rightParen, "',' or ')' in the call to \(name)")
        return Expr(kind: .call(function: name, functionRange: nameRange, arguments: arguments), range: nameRange.union(close.range))
    }

    // MARK: - Literal values

    private mutating func integerValue(_ token: Token) throws -> Int64 {
        var value: Int64 = 0
        for byte in source.bytes[token.range.start..<token.range.end] where byte != UInt8(ascii: "_") {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if o1 || o2 { throw fail(token.range, "number \(text(token)) is too large") }
            value = a
        }
        return value
    }

    private mutating func decimalValue(_ token: Token) throws -> DecimalLiteral {
        var mantissa: Int64 = 0
        var scale = 0
        var afterPoint = false
        for byte in source.bytes[token.range.start..<token.range.end] where byte != UInt8(ascii: "_") {
            if byte == UInt8(ascii: ".") { afterPoint = true; continue }
            let (m, o1) = mantissa.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if o1 || o2 || scale >= 18 { throw fail(token.range, "number \(text(token)) has too many digits") }
            mantissa = a
            if afterPoint { scale += 1 }
        }
        return DecimalLiteral(mantissa: mantissa, scale: scale)
    }

    private mutating func durationSeconds(_ token: Token) throws -> Int64 {
        var end = token.range.end
        while end > token.range.start, !source.bytes[end - 1].isDigit { end -= 1 }
        let unitText = String(decoding: source.bytes[end..<token.range.end], as: UTF8.self)
        var count: Int64 = 0
        for byte in source.bytes[token.range.start..<end] where byte != UInt8(ascii: "_") {
            let (m, o1) = count.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if o1 || o2 { throw fail(token.range, "duration \(text(token)) is too large") }
            count = a
        }
        guard let unit = DurationUnit(rawValue: unitText) else { throw fail(token.range, "unknown duration unit") }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unit.seconds)
        if overflow || seconds > 100 * 365 * 86_400 { throw fail(token.range, "duration \(text(token)) is longer than 100 years") }
        return seconds
    }

    private mutating func stringValue(_ token: Token) throws -> String {
        var bytes: [UInt8] = []
        var i = token.range.start + 1
        let end = token.range.end - 1
        while i < end {
            var byte = source.bytes[i]
            if byte == UInt8(ascii: "\\") && i + 1 < end {
                i += 1
                switch source.bytes[i] {
                case UInt8(ascii: "n"): byte = UInt8(ascii: "\n")
                case UInt8(ascii: "t"): byte = UInt8(ascii: "\t")
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): byte = source.bytes[i]
                default:
                    throw fail(SourceRange(i - 1, i + 1), "unknown escape '\\\(Character(Unicode.Scalar(source.bytes[i])))'; use \\\", \\\\, \\n or \\t")
                }
            }
            bytes.append(byte)
            i += 1
        }
        guard let value = String(validating: bytes, as: UTF8.self) else {
            throw fail(token.range, "string is not valid UTF-8")
        }
        return value
    }
}
