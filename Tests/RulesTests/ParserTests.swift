import Testing
@testable import Rules

@Suite("Lexer and parser")
struct ParserTests {
    private func condition(_ expression: String) throws -> String {
        let (syntax, diags) = Parser.parse(SourceFile(path: "t", text: "rule r: block if \(expression)\n"))
        #expect(!diags.hasErrors, "\(diags.items.map(\.message))")
        guard case .rule(let rule)? = syntax.statements.first else {
            Issue.record("no rule parsed")
            return ""
        }
        return ExpressionPrinter.print(rule.condition)
    }

    @Test(arguments: [
        // Precedence: or < and < not < comparison < ?? < + - < * / < unary minus.
        ("a or b and c", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("not a and b", "not a and b"),
        ("not (a and b)", "not (a and b)"),
        ("x + y * 2 > 3", "x + y * 2 > 3"),
        ("(x + y) * 2 > 3", "(x + y) * 2 > 3"),
        ("x - (y - z) > 0", "x - (y - z) > 0"),
        ("(x - y) - z > 0", "x - y - z > 0"),
        ("x ?? 0 > 5", "x ?? 0 > 5"),
        ("card.country not in @risky", "card.country not in @risky"),
        ("email like \"%@x.com\" or not (email like \"a%\")", "email like \"%@x.com\" or not email like \"a%\""),
        ("-x > -5", "-x > -5"),
        ("amount > 200.00", "amount > 200.00"),
        ("customer.age > 7d and customer.age < 2w", "customer.age > 7d and customer.age < 14d"),
        ("lower(a) in [\"x\", \"y\"]", "lower(a) in [\"x\", \"y\"]"),
    ])
    func printsWithMinimalParentheses(source: String, printed: String) throws {
        #expect(try condition(source) == printed)
    }

    @Test func reportsLineAndColumnOfEachError() {
        let text = """
        rule a: block if amount >
        rule b: block if (amount > 1
        rule c block if amount > 1
        let x = count(payments by card over 5x)
        rule d: block if amount > "unterminated
        list l = ["a" "b"]
        """
        let found = diagnostics(text)
        #expect(found.contains("1:26: error: expected a value, found end of line"))
        #expect(found.contains("2:18: error: this '(' is never closed"))
        #expect(found.contains("3:8: error: expected ':' after the rule name, found 'block'"))
        #expect(found.contains { $0.hasPrefix("4:37: error: unknown unit 'x'") })
        #expect(found.contains { $0.hasPrefix("5:27: error: unterminated string") })
        #expect(found.contains("6:15: error: expected ',' or ']' in the list, found '\"b\"'"))
    }

    @Test func continuationLinesAreIndented() throws {
        let set = try ruleSet("""
        rule a: block if amount > 10.00
            and card.country == "US"
        rule b: review if amount > 1.00
        """)
        #expect(set.rules.count == 2)
        #expect(set.rules[0].line == 1)
        #expect(set.rules[1].line == 3)
    }

    @Test func listsMaySpanLinesAndCloseInColumnOne() throws {
        let set = try ruleSet("""
        list risky = [
          "NG",
          "RU",
        ]
        rule a: block if card.country in @risky
        """)
        #expect(firedNames(set, ["card.country": "RU"]) == ["a"])
    }

    @Test func comparisonsDoNotChain() {
        #expect(diagnostics("rule a: block if 1 < amount < 5\n").contains { $0.contains("comparisons do not chain") })
    }

    @Test func indentedStatementIsAnError() {
        #expect(diagnostics("  rule a: block if amount > 1\n").first?.hasPrefix("1:3: error: unexpected indentation") == true)
    }

    @Test func multiByteCharactersCountAsOneColumn() {
        let found = diagnostics("rule é: block if amount > 1\nrule a: block if \"€\" == 3 ^\n")
        #expect(found.contains { $0.hasPrefix("1:6: error: unexpected character 'é'") })
        #expect(found.contains { $0.hasPrefix("2:27: error: unexpected character '^'") })
    }

    @Test func invalidUTF8IsReportedNotFatal() {
        var bytes = Array("rule a: block if amount > 1\n".utf8)
        bytes.insert(0xFF, at: 5)
        let result = RuleCompiler.compile(SourceFile(path: "t", bytes: bytes))
        #expect(result.hasErrors)
        #expect(result.diagnostics.first?.message.contains("not UTF-8") == true)
    }

    @Test func renderShowsLineAndCaret() {
        let result = compile("rule a: block if amount > \"x\"\n", path: "rules/bad.rules")
        let rendered = result.renderedDiagnostics().first ?? ""
        #expect(rendered == """
        rules/bad.rules:1:18: error: cannot compare money with string; write money as a number such as 200.00
        rule a: block if amount > "x"
                         ^
        """)
    }
}
