import CHiredis
import Foundation

/// A Redis reply, copied out of hiredis's memory.
public indirect enum RedisReply: Sendable, Equatable {
    case string([UInt8])
    case integer(Int64)
    case array([RedisReply])
    case status(String)
    case error(String)
    case null

    public var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .string(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }
}

public struct RedisError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "redis: \(message)" }
}

/// Where a Redis server is: `redis://[:password@]host[:port][/db]`.
public struct RedisAddress: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 6379
    public var password: String?
    public var database = 0

    public init(url: String) throws(RedisError) {
        guard url.hasPrefix("redis://") else { throw RedisError("'\(url)' is not a redis:// URL") }
        var rest = Substring(url.dropFirst("redis://".count))
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let password = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init) ?? ""
            self.password = password.isEmpty ? nil : password.removingPercentEncoding ?? password
        }
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let database = Int(path), database >= 0 else { throw RedisError("'\(path)' is not a database number") }
                self.database = database
            }
        }
        if let colon = rest.lastIndex(of: ":") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else {
                throw RedisError("'\(url)' has no valid port")
            }
            self.port = port
            rest = rest[..<colon]
        }
        if !rest.isEmpty { host = String(rest) }
    }
}

/// One connection to Redis through hiredis: commands one at a time or
/// pipelined (send many, then read every reply). Not thread-safe: each thread
/// uses its own (see `RedisConnectionPool`).
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    public let address: RedisAddress

    public init(address: RedisAddress, timeoutSeconds: Double = 2) throws(RedisError) {
        self.address = address
        let whole = Int(timeoutSeconds)
        let timeout = timeval(tv_sec: whole, tv_usec: Int((timeoutSeconds - Double(whole)) * 1_000_000))
        guard let context = redisConnectWithTimeout(address.host, Int32(address.port), timeout) else {
            throw RedisError("cannot allocate a connection")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError("cannot connect to \(address.host):\(address.port): \(message)")
        }
        redisSetTimeout(context, timeout)
        self.context = context
        if let password = address.password {
            if case .error(let message) = try command(["AUTH", password]) { throw RedisError("AUTH failed: \(message)") }
        }
        if address.database != 0 {
            if case .error(let message) = try command(["SELECT", String(address.database)]) { throw RedisError("SELECT failed: \(message)") }
        }
    }

    deinit { redisFree(context) }

    /// Runs one command and returns its reply (a Redis error is a `.error` reply, not a throw).
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try append(arguments.map { Array($0.utf8) })
        return try reply()
    }

    /// Queues commands already encoded (see `RedisCommandBuffer`); read one reply per command.
    public func append(encoded commands: RedisCommandBuffer) throws(RedisError) {
        let status = commands.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
        }
        guard status == REDIS_OK else { throw RedisError(Self.errorText(context)) }
    }

    /// Queues a command without waiting (pipelining); read its reply with `reply()`.
    public func append(_ arguments: [[UInt8]]) throws(RedisError) {
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        // hiredis copies the arguments into its output buffer before returning.
        let status: Int32 = withArgumentPointers(arguments, 0, &pointers, &lengths)
        guard status == REDIS_OK else { throw RedisError(Self.errorText(context)) }
    }

    private func withArgumentPointers(_ arguments: [[UInt8]], _ index: Int, _ pointers: inout [UnsafePointer<CChar>?],
                                      _ lengths: inout [Int]) -> Int32 {
        if index == arguments.count {
            return redisAppendCommandArgv(context, Int32(arguments.count), &pointers, lengths)
        }
        return arguments[index].withUnsafeBufferPointer { buffer in
            pointers.append(UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self))
            lengths.append(buffer.count)
            return withArgumentPointers(arguments, index + 1, &pointers, &lengths)
        }
    }

    /// The next reply of the pipeline (flushes queued commands first).
    public func reply() throws(RedisError) -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw RedisError(Self.errorText(context)) }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch Int32(value.type) {
        case REDIS_REPLY_STRING:
            return .string(Array(UnsafeRawBufferPointer(start: value.str, count: Int(value.len))))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(value.elements)).map { convert(value.element[$0]!) })
        case REDIS_REPLY_STATUS:
            return .status(String(cString: value.str))
        case REDIS_REPLY_ERROR:
            return .error(String(cString: value.str))
        default:
            return .null
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { bytes in
            let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "connection error \(context.pointee.err)" : text
        }
    }
}

/// Connections for many threads: each call borrows one (opening it when none
/// is free) and returns it; a connection that failed is dropped, not reused.
public final class RedisConnectionPool: @unchecked Sendable {
    public let address: RedisAddress
    private let lock = NSLock()
    private var idle: [RedisConnection] = []

    public init(address: RedisAddress) throws(RedisError) {
        self.address = address
        // Fail at start-up, not on the first payment, when the server is unreachable.
        idle.append(try RedisConnection(address: address))
    }

    public func withConnection<Result>(_ body: (RedisConnection) throws(RedisError) -> Result) throws(RedisError) -> Result {
        lock.lock()
        let borrowed = idle.popLast()
        lock.unlock()
        let connection: RedisConnection
        if let borrowed { connection = borrowed } else { connection = try RedisConnection(address: address) }
        let result = try body(connection)
        lock.lock()
        idle.append(connection)
        lock.unlock()
        return result
    }
}
