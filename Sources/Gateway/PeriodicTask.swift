import Foundation

/// Runs `work` on its own thread every `intervalSeconds` until stopped: the
/// webhook worker, the gateway's housekeeping (expired idempotency records).
final class PeriodicTask: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    /// Signaled when the thread has returned.
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, intervalSeconds: Double, _ work: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            defer { finished.signal() }
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

    /// Stops and waits for a run in progress to end, so nothing it uses is torn down under it.
    func stop() {
        condition.lock()
        let already = stopped
        stopped = true
        condition.broadcast()
        condition.unlock()
        if !already { finished.wait() }
    }
}
