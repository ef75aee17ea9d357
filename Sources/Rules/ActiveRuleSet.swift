import Synchronization

/// The rule set in force, swapped atomically (hot reload). Evaluators take the
/// current `RuleSet` once per request and keep using it, so a request in flight
/// finishes on the set it started with. Only a set that compiled and whose
/// tests all passed may be activated.
public final class ActiveRuleSet: Sendable {
    public enum ActivationError: Error, Sendable, Equatable {
        case testsFailed([String])
    }

    private let current: Mutex<RuleSet>

    public init(_ ruleSet: RuleSet) {
        current = Mutex(ruleSet)
    }

    /// The set to evaluate a request with.
    public var ruleSet: RuleSet { current.withLock { $0 } }

    /// Runs the file's tests on `candidate` and makes it current only if all
    /// pass; otherwise the current set stays and the failures are thrown.
    public func activate(_ candidate: RuleSet) throws(ActivationError) {
        let failures = candidate.runTests().filter { !$0.passed }
        guard failures.isEmpty else {
            throw .testsFailed(failures.map { "\($0.test.name): \($0.failureMessage)" })
        }
        current.withLock { $0 = candidate }
    }
}
