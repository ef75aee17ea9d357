import Foundation
import Testing
@testable import Rules

/// Every rule file shipped in rules/ compiles cleanly, passes its tests, and is in canonical form.
@Suite("Shipped rule files")
struct RuleFilesTests {
    static let files: [URL] = {
        let folder = packageRoot.appendingPathComponent("rules")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".rules") }.sorted().map { folder.appendingPathComponent($0) }
    }()

    @Test func thereAreRuleFiles() {
        #expect(Self.files.contains { $0.lastPathComponent == "default.rules" })
    }

    @Test(arguments: files)
    func compilesWithoutWarningsAndPassesItsTests(file: URL) throws {
        let result = try compileRepositoryFile(file)
        #expect(result.diagnostics.isEmpty, "\(result.renderedDiagnostics().joined(separator: "\n"))")
        let set = try #require(result.ruleSet)
        #expect(!set.tests.isEmpty)
        for outcome in set.runTests() {
            #expect(outcome.passed, "\(file.lastPathComponent): \(outcome.test.name): \(outcome.failureMessage)")
        }
    }

    @Test(arguments: files)
    func everyRuleIsCoveredByATest(file: URL) throws {
        let set = try #require(try compileRepositoryFile(file).ruleSet)
        let fired = Set(set.runTests().flatMap(\.firedRules))
        let untested = set.rules.map(\.name).filter { !fired.contains($0) }
        #expect(untested.isEmpty, "rules no test makes fire: \(untested)")
    }

    @Test(arguments: files)
    func isInCanonicalForm(file: URL) throws {
        let source = SourceFile(path: file.path, bytes: [UInt8](try Data(contentsOf: file)))
        let formatted = try #require(RuleFormatter.format(source))
        #expect(formatted == String(decoding: source.bytes, as: UTF8.self), "run: tollgate rules fmt --write \(file.path)")
    }

    @Test func defaultRulesMeetTheBrief() throws {
        let file = packageRoot.appendingPathComponent("rules/default.rules")
        let set = try #require(try compileRepositoryFile(file).ruleSet)
        #expect(set.rules.count >= 20)
        #expect(!set.aggregates.isEmpty)
        let actions = Set(set.rules.map { rule -> String in
            if case .score = rule.action { return "score" }
            return "\(rule.action)"
        })
        #expect(actions == ["block", "review", "challenge", "allow", "score"])
        #expect(set.rules.contains { $0.isShadow })
    }
}
