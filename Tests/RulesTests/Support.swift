import Foundation
import Testing
import Rules

/// Compiles rule text held in a test (no list files).
func compile(_ text: String, path: String = "test.rules") -> CompileResult {
    RuleCompiler.compile(SourceFile(path: path, text: text))
}

/// Compiles and requires success; records the diagnostics when it fails.
func ruleSet(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> RuleSet {
    let result = compile(text)
    let errors = result.diagnostics.filter { $0.severity == .error }.map { $0.render(in: result.source) }
    #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))", sourceLocation: sourceLocation)
    return try #require(result.ruleSet, sourceLocation: sourceLocation)
}

/// The diagnostics of `text` as "line:col: severity: message".
func diagnostics(_ text: String) -> [String] {
    let result = compile(text)
    return result.diagnostics.map {
        let (line, column) = result.source.lineAndColumn(of: $0.range.start)
        return "\(line):\(column): \($0.severity.rawValue): \($0.message)"
    }
}

/// Evaluates `ruleSet` on facts given as text by name (parsed by the slot's type).
func evaluate(_ ruleSet: RuleSet, _ facts: [String: String], currencyExponent: Int = 2) -> (Evaluation, [FiredRule]) {
    let record = ruleSet.makeRecord()
    record.currencyExponent = currencyExponent
    for (name, value) in facts {
        guard let slot = ruleSet.layout.slot(named: name) else { continue }
        let parsed = record.setParsing(slot.index, value)
        precondition(parsed, "cannot parse \(value) as \(slot.type) for \(name)")
    }
    let evaluation = ruleSet.evaluate(record)
    return (evaluation, ruleSet.explain(evaluation, record: record))
}

func firedNames(_ ruleSet: RuleSet, _ facts: [String: String]) -> [String] {
    evaluate(ruleSet, facts).1.map(\.name)
}

/// The package's root folder, from this file's path.
let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Compiles a file of the repository with its list files, as the CLI does.
func compileRepositoryFile(_ url: URL) throws -> CompileResult {
    let data = try Data(contentsOf: url)
    let folder = url.deletingLastPathComponent()
    let loader: ListFileLoader = { path throws(ListFileError) in
        guard let text = try? String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8) else {
            throw ListFileError("cannot read list file \"\(path)\"")
        }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
    return RuleCompiler.compile(SourceFile(path: url.path, bytes: [UInt8](data)), listLoader: loader)
}
