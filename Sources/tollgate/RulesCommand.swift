import Foundation
import Rules
import RulesIO
import TollgateCore

/// `tollgate rules check|test|fmt|eval`: the analyst's commands.
enum RulesCommand {
    static let usage = """
    usage: tollgate rules check FILE...
           tollgate rules test FILE...
           tollgate rules fmt FILE [--write | --check]
           tollgate rules eval FILE FACT=VALUE... [--currency CODE]

      check   compile each file; diagnostics go to stderr as path:line:col: severity: message.
              Exit 0 when every file compiles (warnings allowed), 1 otherwise.
      test    compile each file and run its test blocks. Exit 0 when all pass, 1 otherwise.
      fmt     print the canonical form; --write rewrites the file, --check exits 1 if it differs.
      eval    score one transaction given as facts and feature values (amount=250.00
              card.country=NG ip_declines_10m=6) and print the decision and the rules that fired.
    """

    static func run(_ arguments: [String]) -> Int32 {
        guard let subcommand = arguments.first else {
            printError(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "--help", "-h", "help":
            print(usage)
            return 0
        case "check": return withOptions(rest, switches: []) { check($0.positional) }
        case "test": return withOptions(rest, switches: []) { test($0.positional) }
        case "fmt": return withOptions(rest, switches: ["write", "check"]) { format($0) }
        case "eval": return withOptions(rest, valued: ["currency"], switches: ["json"]) { evaluate($0) }
        default:
            return TollgateCommand.usageError("unknown rules command '\(subcommand)'; expected check, test, fmt or eval")
        }
    }

    private static func withOptions(_ arguments: [String], valued: Set<String> = [], switches: Set<String>,
                                    _ body: (CommandLineOptions) -> Int32) -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions(arguments, valued: valued, switches: switches)
        } catch {
            return TollgateCommand.usageError(error.message)
        }
        if options.wantsHelp {
            print(usage)
            return 0
        }
        return body(options)
    }

    /// Compiles a file, printing its diagnostics; nil when it could not be read.
    private static func compileReporting(_ path: String) -> CompileResult? {
        do {
            let result = try RuleFiles.compile(path: path)
            for diagnostic in result.renderedDiagnostics() { printError(diagnostic) }
            return result
        } catch {
            printError("\(path): error: \(error.message)")
            return nil
        }
    }

    static func check(_ paths: [String]) -> Int32 {
        guard !paths.isEmpty else { return TollgateCommand.usageError("rules check needs at least one FILE") }
        var failed = false
        for path in paths {
            guard let result = compileReporting(path), let ruleSet = result.ruleSet else {
                failed = true
                continue
            }
            let warnings = result.diagnostics.count
            print("\(path): ok: \(ruleSet.rules.count) rules, \(ruleSet.featureNames.count) features, \(ruleSet.tests.count) tests, \(warnings) warning\(warnings == 1 ? "" : "s"); ruleset \(ruleSet.hash)")
        }
        return failed ? 1 : 0
    }

    static func test(_ paths: [String]) -> Int32 {
        guard !paths.isEmpty else { return TollgateCommand.usageError("rules test needs at least one FILE") }
        var passed = 0, failed = 0, broken = false
        for path in paths {
            guard let result = compileReporting(path), let ruleSet = result.ruleSet else {
                broken = true
                continue
            }
            if ruleSet.tests.isEmpty { printError("\(path): warning: the file has no test blocks") }
            for outcome in ruleSet.runTests() {
                if outcome.passed {
                    passed += 1
                } else {
                    failed += 1
                    print("\(path):\(outcome.test.line): FAIL \"\(outcome.test.name)\": \(outcome.failureMessage)")
                }
            }
        }
        print("\(passed) passed, \(failed) failed")
        return failed > 0 || broken ? 1 : 0
    }

    static func format(_ options: CommandLineOptions) -> Int32 {
        guard options.positional.count == 1, let path = options.positional.first else {
            return TollgateCommand.usageError("rules fmt takes exactly one FILE")
        }
        guard let result = compileReporting(path) else { return 1 }
        guard let formatted = RuleFormatter.format(result.source) else { return 1 }
        if options.has("check") {
            if formatted.utf8.elementsEqual(result.source.bytes) { return 0 }
            printError("\(path): not in canonical form; run 'tollgate rules fmt --write \(path)'")
            return 1
        }
        if options.has("write") {
            do {
                // Write beside the file and rename, so a crash never leaves half a file.
                let temporary = path + ".fmt-tmp"
                try Data(formatted.utf8).write(to: URL(fileURLWithPath: temporary))
                guard rename(temporary, path) == 0 else {
                    printError("\(path): error: cannot replace the file: \(String(cString: strerror(errno)))")
                    return 1
                }
            } catch {
                printError("\(path): error: cannot write: \(error.localizedDescription)")
                return 1
            }
            return 0
        }
        print(formatted, terminator: "")
        return 0
    }

    static func evaluate(_ options: CommandLineOptions) -> Int32 {
        guard let path = options.positional.first else { return TollgateCommand.usageError("rules eval needs a FILE") }
        guard let result = compileReporting(path), let ruleSet = result.ruleSet else { return 1 }
        let record = ruleSet.makeRecord()
        let currencyCode = options["currency"] ?? "USD"
        guard let currency = Currency(code: currencyCode) else {
            printError("tollgate: error: unknown currency '\(currencyCode)'")
            return 1
        }
        record.currencyExponent = currency.minorUnitExponent
        for assignment in options.positional.dropFirst() {
            guard let equals = assignment.firstIndex(of: "=") else {
                printError("tollgate: error: expected FACT=VALUE, got '\(assignment)'")
                return 1
            }
            let name = String(assignment[..<equals])
            let value = String(assignment[assignment.index(after: equals)...])
            guard let slot = ruleSet.layout.slot(named: name) else {
                printError("tollgate: warning: no rule reads '\(name)'; ignored")
                continue
            }
            guard record.setParsing(slot.index, value) else {
                printError("tollgate: error: '\(value)' is not \(slot.type.rawValue) (for \(name))")
                return 1
            }
        }
        let evaluation = ruleSet.evaluate(record)
        print("action: \(evaluation.action.rawValue)")
        print("score: \(evaluation.score)")
        print("ruleset: \(ruleSet.hash)")
        for fired in ruleSet.explain(evaluation, record: record) {
            let values = fired.values.map { "\($0.name)=\($0.value.formatted(currencyExponent: currency.minorUnitExponent))" }
            print("fired: \(fired.name)\(fired.isShadow ? " (shadow)" : "") [\(describe(fired.action))] \(values.joined(separator: " "))")
        }
        return 0
    }

    static func describe(_ action: RuleAction) -> String {
        switch action {
        case .block: "block"
        case .review: "review"
        case .challenge: "challenge"
        case .allow: "allow"
        case .score(let p): p >= 0 ? "score +\(p)" : "score \(p)"
        }
    }
}
