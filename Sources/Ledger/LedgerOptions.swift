import Foundation

/// Bounds of the ledger's write path, each named with its unit.
public struct LedgerOptions: Sendable {
    /// Events (accounts or transfers) waiting for the writer; beyond it submissions get `overloaded`.
    public var queueEventsMax = 65_536
    /// Events one database transaction takes at most.
    public var batchEventsMax = 8_192
    /// Events one submission may carry.
    public var submissionEventsMax = 8_190
    /// Expired holds released per batch at most (the rest wait for the next batch).
    public var expiriesPerBatchMax = 1_024
    /// How often an idle writer wakes to release expired holds.
    public var expirySweepIntervalSeconds: TimeInterval = 1
    /// Times a batch is retried after a conflict with another process (PostgreSQL).
    public var conflictRetryMax = 20
    /// Nanoseconds since 1970; tests replace it to move time.
    public var clock: @Sendable () -> Int64 = LedgerOptions.systemClock

    public init() {}

    public static let systemClock: @Sendable () -> Int64 = {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// Why a submission was not applied at all (as opposed to a transfer rejected with a result).
public enum LedgerError: Error, CustomStringConvertible, Equatable {
    /// The writer's queue is full: retry later (the gateway answers 503).
    case overloaded(queueEventsMax: Int)
    case tooManyEvents(count: Int, max: Int)
    case stopped
    /// The database failed; nothing of the batch was committed, so a retry with the same ids is safe.
    case storage(LedgerStorageError)
    /// The caller's attachment threw; nothing of this submission was committed (others were).
    case attachmentFailed(String)

    public var description: String {
        switch self {
        case let .overloaded(max): return "ledger overloaded: more than \(max) events waiting; retry later"
        case let .tooManyEvents(count, max): return "a submission may carry at most \(max) events, not \(count)"
        case .stopped: return "the ledger is stopped"
        case let .storage(error): return error.description
        case let .attachmentFailed(message): return "the rows committed with the transfers failed: \(message)"
        }
    }

}
