import Foundation

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
    /// Threads serving connections, one per core by default: more only add context
    /// switches while handlers compute (measured: 2 threads 10.5k decisions/s, 16 threads 5.7k).
    public var threadCount = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// Threads for requests the server is told wait on something slow (`HTTPServer`'s
    /// `waits`): their connections are suspended and a worker answers them, so many
    /// can wait at once (a group commit batches them) without holding the serving threads.
    public var waitingThreadCount = 64

    public init() {}
}
