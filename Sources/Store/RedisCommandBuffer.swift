import TollgateCore

/// Redis commands encoded straight into one byte buffer in the wire protocol
/// (RESP: `*N\r\n` then `$LEN\r\nBYTES\r\n` per argument), so a pipeline of
/// thousands of commands costs one growing array instead of an allocation per
/// argument.
public struct RedisCommandBuffer: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Commands encoded so far (each gets one reply).
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Starts a command of `argumentCount` arguments (the name included); append exactly that many.
    public mutating func begin(_ argumentCount: Int) {
        bytes.append(UInt8(ascii: "*"))
        appendDecimal(Int64(argumentCount))
        bytes.append(13); bytes.append(10)
        count += 1
    }

    public mutating func argument<Bytes: Collection<UInt8>>(_ value: Bytes) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(Int64(value.count))
        bytes.append(13); bytes.append(10)
        bytes.append(contentsOf: value)
        bytes.append(13); bytes.append(10)
    }

    public mutating func argument(_ text: StaticString) {
        argument(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func argument(_ value: Int64) {
        var digits: [UInt8] = []
        DecimalDigits.append(value, to: &digits)
        argument(digits)
    }

    /// An argument made of a prefix and a number (`c:1700000000`).
    public mutating func argument(_ prefix: StaticString, _ value: Int64) {
        var text = Array(UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        DecimalDigits.append(value, to: &text)
        argument(text)
    }

    private mutating func appendDecimal(_ value: Int64) { DecimalDigits.append(value, to: &bytes) }
}
