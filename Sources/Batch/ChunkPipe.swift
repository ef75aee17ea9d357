import Foundation

/// Reads (and inflates) input on its own thread while the caller parses: a
/// bounded queue of chunks between them, so decompression and parsing overlap.
final class ChunkPipe: @unchecked Sendable {
    static let chunkBytes = 4 << 20
    static let chunksQueuedMax = 4

    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var finished = false
    private var failure: BatchError?
    private var cancelled = false

    /// Starts reading `source` at once.
    init(source: ByteSource) {
        let thread = Thread { [self] in
            var buffer: [UInt8] = []
            do {
                while true {
                    try source.next(into: &buffer, capacity: ChunkPipe.chunkBytes)
                    if buffer.isEmpty { break }
                    condition.lock()
                    while queue.count >= ChunkPipe.chunksQueuedMax && !cancelled { condition.wait() }
                    let stop = cancelled
                    if !stop { queue.append(buffer) }
                    condition.broadcast()
                    condition.unlock()
                    if stop { break }
                    buffer = []
                }
            } catch {
                condition.lock()
                failure = error as? BatchError ?? BatchError("\(error)")
                condition.unlock()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The next chunk, or nil at the end of input. Throws what the reader hit.
    func next() throws(BatchError) -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finished && failure == nil { condition.wait() }
        if let failure { throw failure }
        if queue.isEmpty { return nil }
        let chunk = queue.removeFirst()
        condition.broadcast()
        return chunk
    }

    /// Stops the reader early (the caller gave up).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
