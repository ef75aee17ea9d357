import Testing
@testable import Rules

/// Lists whose items change while the engine runs (`ListResolution.withRuntimeLists`).
@Suite("Runtime lists")
struct RuntimeListsTests {
    final class Items: RuntimeLists, @unchecked Sendable {
        let lists: [String: Set<String>]
        init(_ lists: [String: Set<String>]) { self.lists = lists }
        func contains(_ value: String, inList name: String) -> Bool { lists[name]?.contains(value) ?? false }
    }

    static let text = """
    list declared = ["from_file"]
    list countries = ["KP"]
    rule in_declared:  block if customer in @declared
    rule in_runtime:   review if customer in @runtime_only
    rule constant:     score +10 if "fixed" in @runtime_only
    rule country:      block if billing.country in @countries
    rule not_in:       score +5 if customer not in @runtime_only
    """

    func action(_ set: RuleSet, _ facts: [String: String], _ lists: Items?) -> (Action, Int64) {
        let record = set.makeRecord()
        record.runtimeLists = lists
        for (name, value) in facts {
            let slot = set.layout.slot(named: name)!
            #expect(record.setParsing(slot.index, value))
        }
        let evaluation = set.evaluate(record)
        return (evaluation.action, evaluation.score)
    }

    @Test func declaredAndUndeclaredListsReadRuntimeItems() throws {
        let result = RuleCompiler.compile(SourceFile(path: "r.rules", text: Self.text), lists: .withRuntimeLists)
        let set = try #require(result.ruleSet, "\(result.renderedDiagnostics())")
        let warnings = result.renderedDiagnostics().filter { $0.contains("is not declared in this file") }
        #expect(warnings.count == 1 && warnings[0].contains("'@runtime_only'"), "warned once: \(warnings)")
        let none = Items([:])
        #expect(action(set, ["customer": "from_file"], none).0 == .block)
        #expect(action(set, ["customer": "c1"], none) == (.allow, 5))
        #expect(action(set, ["customer": "c1"], nil) == (.allow, 5), "no runtime lists: declared items only")
        let lists = Items(["declared": ["c2"], "runtime_only": ["c1", "fixed"], "countries": ["NG"]])
        #expect(action(set, ["customer": "c1"], lists) == (.review, 10), "a constant's membership is not folded at compile time")
        #expect(action(set, ["customer": "c2"], lists).0 == .block)
        #expect(action(set, ["customer": "c3", "billing.country": "NG"], lists).0 == .block, "countries from runtime items")
        #expect(action(set, ["customer": "c3", "billing.country": "KP"], none).0 == .block)
        #expect(action(set, ["customer": "c3", "billing.country": "FR"], lists).0 == .allow)
        #expect(action(set, [:], lists).1 == 10, "a missing value is in no list")
    }

    @Test func declaredOnlyRefusesUndeclaredLists() {
        let result = RuleCompiler.compile(SourceFile(path: "r.rules", text: Self.text))
        #expect(result.ruleSet == nil)
        #expect(result.renderedDiagnostics().contains { $0.contains("unknown list '@runtime_only'") })
    }
}
