/// Row ids as bytes in one buffer (no `String` per row): ids are unique, so
/// interning would not help, and they are only copied to the output.
struct IDColumn {
    private(set) var bytes: [UInt8] = []
    /// End offset of each row's id in `bytes`.
    private(set) var ends: [Int32] = []

    var count: Int { ends.count }

    mutating func append(_ id: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: id)
        ends.append(Int32(truncatingIfNeeded: bytes.count))
    }

    func range(_ row: Int) -> Range<Int> { (row == 0 ? 0 : Int(ends[row - 1]))..<Int(ends[row]) }

    subscript(row: Int) -> String { String(decoding: bytes[range(row)], as: UTF8.self) }

    /// New row i is old row `order[i]`.
    func permuted(_ order: [Int32]) -> IDColumn {
        var result = IDColumn()
        result.bytes.reserveCapacity(bytes.count)
        result.ends.reserveCapacity(ends.count)
        for old in order {
            result.bytes.append(contentsOf: bytes[range(Int(old))])
            result.ends.append(Int32(truncatingIfNeeded: result.bytes.count))
        }
        return result
    }
}
