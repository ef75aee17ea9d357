import Testing
@testable import Rules

@Suite("Limits")
struct LimitsTests {
    private func messages(_ text: String, _ configure: (inout RuleLimits) -> Void) -> [String] {
        var limits = RuleLimits()
        configure(&limits)
        return RuleCompiler.compile(SourceFile(path: "l", text: text), limits: limits).diagnostics.map(\.message)
    }

    @Test func fileSize() {
        let found = messages(String(repeating: "# padding\n", count: 20)) { $0.fileBytesMax = 100 }
        #expect(found == ["file is 200 bytes; the limit is 100 bytes"])
    }

    @Test func rulesPerFile() {
        let text = (0..<5).map { "rule r\($0): block if amount > \($0).00\n" }.joined()
        #expect(messages(text) { $0.rulesPerFileMax = 3 }.contains("file has more than 3 rules"))
    }

    @Test func nestingDepth() {
        let deep = String(repeating: "(", count: 100) + "amount > 1" + String(repeating: ")", count: 100)
        #expect(messages("rule r: block if \(deep)\n") { _ in }.contains("expression nests deeper than 64 levels"))
        let nots = String(repeating: "not ", count: 100)
        #expect(messages("rule r: block if \(nots)amount > 1\n") { _ in }.contains("expression nests deeper than 64 levels"))
    }

    @Test func expressionSize() {
        let wide = (0..<50).map { "amount > \($0).00" }.joined(separator: " or ")
        #expect(messages("rule r: block if \(wide)\n") { $0.expressionNodesMax = 40 }.contains { $0.hasPrefix("expression has more than 40 parts") })
    }

    @Test func listSize() {
        let items = (0..<20).map { "\"i\($0)\"" }.joined(separator: ", ")
        #expect(messages("list l = [\(items)]\n") { $0.listItemsMax = 10 }.contains("list 'l' has more than 10 items"))
    }

    @Test func identifierLength() {
        let name = String(repeating: "x", count: 200)
        #expect(messages("rule \(name): block if amount > 1\n") { _ in }.contains("name is 200 bytes long; the limit is 128"))
    }

    @Test func stringLength() {
        let long = String(repeating: "s", count: 5000)
        #expect(messages("rule r: block if card.brand == \"\(long)\"\n") { _ in }.contains("string is 5000 bytes long; the limit is 4096"))
    }

    @Test func diagnosticsAreCapped() {
        let text = String(repeating: "rule: \n", count: 1000)
        let found = messages(text) { $0.diagnosticsMax = 20 }
        #expect(found.count <= 21)
        #expect(found.last?.hasPrefix("too many problems; stopped after 20") == true)
    }

    @Test func numbersAndDurationsOutOfRange() {
        #expect(messages("rule r: block if amount > 99999999999999999999\n") { _ in }.contains("number 99999999999999999999 is too large"))
        #expect(messages("rule r: block if customer.age > 99999999999d\n") { _ in }.contains("duration 99999999999d is longer than 100 years"))
        #expect(messages("rule r: block if amount > 922337203685478\n") { _ in }.contains("amount 922337203685478 is too large"))
    }
}
