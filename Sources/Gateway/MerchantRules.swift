import Foundation
import HTTP
import Rules
import Store

/// Each merchant's rule file: `GET /v1/rules` and `PUT /v1/rules` (text). A new
/// file goes live only if it compiles without errors and all its tests pass;
/// every version is kept with its hash; `?mode=shadow` runs a file beside the
/// active one without acting. Merchants without a file of their own use the
/// server's `--rules` file. List files (`file "…"`) are refused over the API.
final class MerchantRules: @unchecked Sendable {
    struct Current {
        let active: ActiveRuleSet
        var activeSource: String
        var activeVersion: Int64
        var shadow: RuleSet?
        var shadowVersion: Int64?
    }

    let store: GatewayStore
    let defaultRuleSet: RuleSet
    let defaultSource: String
    private let lock = NSLock()
    private var cache: [String: Current] = [:]

    init(store: GatewayStore, defaultRuleSet: RuleSet, defaultSource: String) {
        self.store = store
        self.defaultRuleSet = defaultRuleSet
        self.defaultSource = defaultSource
    }

    /// The active set (and the shadow set, if any) to score a merchant's payment with.
    func sets(merchantID: String, mode: String) -> (active: RuleSet, shadow: RuleSet?) {
        let current = load(merchantID: merchantID, mode: mode)
        return (current.active.ruleSet, current.shadow)
    }

    private func load(merchantID: String, mode: String) -> Current {
        let key = "\(merchantID)|\(mode)"
        if let cached = lock.withLock({ cache[key] }) { return cached }
        var current = Current(active: ActiveRuleSet(defaultRuleSet), activeSource: defaultSource, activeVersion: 0)
        let stored: [(version: Int64, shadow: Bool, source: String)] = (try? store.withConnection { connection in
            let select = try connection.statement("""
                SELECT version, shadow, source FROM merchant_rules WHERE merchant_id = ? AND mode = ? ORDER BY version
                """)
            try select.bind(1, merchantID)
            try select.bind(2, mode)
            var rows: [(Int64, Bool, String)] = []
            while try select.step() { rows.append((select.int64(0), select.int64(1) != 0, select.text(2) ?? "")) }
            return rows
        }) ?? []
        for row in stored {
            guard let set = RuleCompiler.compile(SourceFile(path: "\(merchantID).rules", text: row.source), lists: .withRuntimeLists).ruleSet else { continue }
            if row.shadow {
                current.shadow = set
                current.shadowVersion = row.version
            } else {
                current = Current(active: ActiveRuleSet(set), activeSource: row.source, activeVersion: row.version,
                                  shadow: current.shadow, shadowVersion: current.shadowVersion)
            }
        }
        lock.withLock { cache[key] = current }
        return current
    }

    func source(merchantID: String, mode: String) -> (text: String, version: Int64, hash: String) {
        let current = load(merchantID: merchantID, mode: mode)
        return (current.activeSource, current.activeVersion, current.active.ruleSet.hash)
    }

    func put(_ text: String, shadow: Bool, merchantID: String, mode: String, now: Int64) throws(APIError) -> JSONValue {
        guard !text.isEmpty else { throw APIError(400, code: "body_missing", "send the rule file as the request body (text)") }
        let compiled = RuleCompiler.compile(SourceFile(path: "\(merchantID).rules", text: text), lists: .withRuntimeLists)
        guard let candidate = compiled.ruleSet else {
            throw APIError(422, code: "rules_invalid", "the rule file does not compile; nothing changed\n" +
                           compiled.renderedDiagnostics().filter { $0.contains(": error:") }.joined(separator: "\n"))
        }
        let failures = candidate.runTests().filter { !$0.passed }
        guard failures.isEmpty else {
            throw APIError(422, code: "rules_tests_failed", "the rule file's tests fail; nothing changed\n" +
                           failures.map { "\($0.test.name): \($0.failureMessage)" }.joined(separator: "\n"))
        }
        var current = load(merchantID: merchantID, mode: mode)
        let version: Int64
        do {
            version = try store.withConnection { connection in
                try connection.transaction {
                    let next = try connection.statement("SELECT COALESCE(MAX(version), 0) + 1 FROM merchant_rules WHERE merchant_id = ? AND mode = ?")
                    try next.bind(1, merchantID)
                    try next.bind(2, mode)
                    _ = try next.step()
                    let version = next.int64(0)
                    let insert = try connection.statement("""
                        INSERT INTO merchant_rules(merchant_id, mode, version, shadow, hash, source, created) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                    try insert.bind(1, merchantID)
                    try insert.bind(2, mode)
                    try insert.bind(3, version)
                    try insert.bind(4, shadow ? 1 : 0)
                    try insert.bind(5, candidate.hash)
                    try insert.bind(6, text)
                    try insert.bind(7, now)
                    _ = try insert.step()
                    return version
                }
            }
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the rule file could not be stored; nothing changed")
        }
        if shadow {
            current.shadow = candidate
            current.shadowVersion = version
        } else {
            do {
                try current.active.activate(candidate)
            } catch {
                throw APIError(422, code: "rules_tests_failed", "the rule file's tests fail; nothing changed")
            }
            current.activeSource = text
            current.activeVersion = version
        }
        let key = "\(merchantID)|\(mode)"
        lock.withLock { cache[key] = current }
        let warnings = compiled.renderedDiagnostics().filter { $0.contains(": warning:") }
        return ["object": "ruleset", "version": .integer(version), "hash": .string(candidate.hash),
                "mode": .string(shadow ? "shadow" : "active"), "rules": .integer(Int64(candidate.rules.count)),
                "tests": .integer(Int64(candidate.tests.count)), "warnings": .array(warnings.map { .string($0) })]
    }
}
