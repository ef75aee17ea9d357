import Foundation

/// Runs `work` on its own thread every `intervalSeconds` until stopped: the
/// webhook worker, the gateway's housekeeping (expired idempotency records).
final class PeriodicTask: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    init(name: String, intervalSeconds: Double, _ work: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: intervalSeconds)) }
                let done = stopped
                condition.unlock()
                if done { return }
                work()
            }
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
