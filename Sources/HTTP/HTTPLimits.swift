/// Every bound of the HTTP server, named with its unit. Over a limit a client
/// gets the matching 4xx/503, never a crash or an unbounded allocation.
public struct HTTPLimits: Sendable {
    /// Largest request body (413 beyond).
    public var bodyBytesMax = 1 << 20
    /// Memory for one connection's request line and headers (libmicrohttpd answers 431 beyond).
    public var headerBytesMax = 32 << 10
    /// A request must arrive completely within this (408 beyond): stops slow senders.
    public var requestSecondsMax = 30.0
    /// A connection with no traffic for this long is closed (keep-alive included).
    public var idleSecondsMax = 60
    /// Open connections at most; more are refused until some close.
    public var connectionsMax = 1_024
    /// Threads serving connections (handlers may block on durable writes).
    public var threadCount = 16

    public init() {}
}
