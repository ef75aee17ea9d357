import Foundation

/// Runs `body(0..<count)` on `count` dedicated threads at once and waits for all.
/// Unlike `DispatchQueue.concurrentPerform`, which never runs more bodies at once
/// than there are cores, this really has `count` callers in flight: what load
/// generators and concurrency tests of blocking APIs need.
public enum ParallelThreads {
    public static func run(count: Int, stackSizeBytes: Int = 1 << 20, _ body: @escaping @Sendable (Int) -> Void) {
        precondition(count > 0, "at least one thread")
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            let thread = Thread {
                body(index)
                finished.leave()
            }
            thread.stackSize = stackSizeBytes
            thread.start()
        }
        finished.wait()
    }
}
