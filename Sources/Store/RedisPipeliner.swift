import Foundation

/// Many threads' Redis commands through one connection, coalesced: while one
/// batch is on the wire, new requests queue up; the I/O thread then sends all
/// of them in one write and reads all replies in one pass (the group commit
/// of Redis). A payment costs one round trip; the server and the kernel see a
/// few large pipelines instead of many tiny ones.
public final class RedisPipeliner: @unchecked Sendable {
    /// Commands sent in one pipeline at most (bounds the reply buffer).
    public static let commandsPerBatchMax = 8_192

    private final class Request {
        let commands: RedisCommandBuffer
        var replies: [RedisReply] = []
        var error: RedisError?
        let done = DispatchSemaphore(value: 0)
        init(commands: RedisCommandBuffer) { self.commands = commands }
    }

    public let address: RedisAddress
    private let condition = NSCondition()
    private var queue: [Request] = []
    private var stopped = false
    private var connection: RedisConnection?

    public init(address: RedisAddress) throws(RedisError) {
        self.address = address
        connection = try RedisConnection(address: address)
        let thread = Thread { [self] in run() }
        thread.name = "redis-pipeliner"
        thread.start()
    }

    deinit { stop() }

    /// Stops the I/O thread; queued and later requests fail.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sends `commands` (each an argument list) and returns their replies in order.
    public func execute(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        var buffer = RedisCommandBuffer()
        for command in commands {
            buffer.begin(command.count)
            for argument in command { buffer.argument(argument) }
        }
        return try execute(buffer)
    }

    /// Sends encoded commands and returns their replies in order.
    public func execute(_ commands: RedisCommandBuffer) throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        let request = Request(commands: commands)
        condition.lock()
        if stopped {
            condition.unlock()
            throw RedisError("the Redis pipeline is stopped")
        }
        queue.append(request)
        condition.signal()
        condition.unlock()
        request.done.wait()
        if let error = request.error { throw error }
        return request.replies
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if stopped {
                let left = queue
                queue = []
                condition.unlock()
                for request in left { finish(request, error: RedisError("the Redis pipeline is stopped")) }
                return
            }
            var batch: [Request] = []
            var commandCount = 0
            while let next = queue.first, batch.isEmpty || commandCount + next.commands.count <= Self.commandsPerBatchMax {
                batch.append(queue.removeFirst())
                commandCount += next.commands.count
            }
            condition.unlock()
            send(batch)
        }
    }

    private func send(_ batch: [Request]) {
        do throws(RedisError) {
            if connection == nil { connection = try RedisConnection(address: address) }
            let connection = connection!
            for request in batch { try connection.append(encoded: request.commands) }
            for request in batch {
                request.replies.reserveCapacity(request.commands.count)
                for _ in 0..<request.commands.count { request.replies.append(try connection.reply()) }
            }
            for request in batch { request.done.signal() }
        } catch {
            // The connection's state is unknown after a failure: drop it, reconnect on the next batch.
            connection = nil
            for request in batch { finish(request, error: error) }
        }
    }

    private func finish(_ request: Request, error: RedisError) {
        request.error = error
        request.done.signal()
    }
}
