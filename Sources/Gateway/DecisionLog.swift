import Foundation

/// Decisions written in batches: a background thread commits whatever queued
/// up (one transaction, one fsync per batch), so `/v1/decisions` never waits
/// for a disk. Lookups see queued decisions too. A crash can lose the last
/// few milliseconds of decisions (no money moves on a decision; the counters
/// they fed are rebuilt from what was stored); `flush()` makes them durable.
final class DecisionLog: @unchecked Sendable {
    /// Decisions queued at most before callers wait for the writer (backpressure, bounded memory).
    static let queuedMax = 65_536

    private let store: GatewayStore
    private let condition = NSCondition()
    private var queued: [GatewayStore.StoredDecision] = []
    private var queuedByID: [String: GatewayStore.StoredDecision] = [:]
    private var writing: [String: GatewayStore.StoredDecision] = [:]
    private var stopped = false
    private(set) var failures = 0

    init(store: GatewayStore) {
        self.store = store
        let thread = Thread { [self] in run() }
        thread.name = "decision-log"
        thread.start()
    }

    func append(_ decision: GatewayStore.StoredDecision) {
        condition.lock()
        while queued.count >= Self.queuedMax && !stopped { condition.wait() }
        queued.append(decision)
        queuedByID[decision.id] = decision
        condition.broadcast()
        condition.unlock()
    }

    func decision(id: String, merchantID: String) -> GatewayStore.StoredDecision? {
        condition.lock()
        let pending = queuedByID[id] ?? writing[id]
        condition.unlock()
        if let pending { return pending.merchantID == merchantID ? pending : nil }
        return try? store.decision(id: id, merchantID: merchantID)
    }

    /// Waits until everything queued so far is committed.
    func flush() {
        condition.lock()
        while (!queued.isEmpty || !writing.isEmpty) && !stopped { condition.wait() }
        condition.unlock()
    }

    func stop() {
        flush()
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queued.isEmpty && !stopped { condition.wait() }
            if stopped && queued.isEmpty {
                condition.unlock()
                return
            }
            let batch = queued
            queued = []
            for decision in batch { writing[decision.id] = decision }
            queuedByID = [:]
            condition.broadcast()
            condition.unlock()
            do {
                try store.insert(batch)
            } catch {
                condition.lock()
                failures += 1
                condition.unlock()
                FileHandle.standardError.write(Data("{\"level\":\"error\",\"message\":\"decisions not stored: \(error)\"}\n".utf8))
            }
            condition.lock()
            writing = [:]
            condition.broadcast()
            condition.unlock()
        }
    }
}
