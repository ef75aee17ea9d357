import CXXHash

/// Membership of strings for lists and `in [...]`: a linear scan of lengths
/// and bytes for a few items, an open-addressing table of XXH3 hashes for
/// many. Avoids Swift's SipHash, which dominated evaluation profiles. Owns the
/// memory of its `table`, which the flat program copies as plain data.
final class StringSet: @unchecked Sendable {
    let table: StringTable
    private static let linearMax = 8

    init(_ values: [String]) {
        let items = Array(Set(values)).sorted().map { Array($0.utf8) }
        guard items.count > StringSet.linearMax else {
            table = StringTable(items: items, slots: [], hashes: [], mask: 0)
            return
        }
        var size = 16
        while size < items.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        var hashes = [UInt64](repeating: 0, count: size)
        for (index, item) in items.enumerated() {
            let hash = item.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
            var slot = Int(truncatingIfNeeded: hash) & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(index + 1)
            hashes[slot] = hash
        }
        table = StringTable(items: items, slots: slots, hashes: hashes, mask: size - 1)
    }

    deinit { table.deallocate() }

    func contains(_ value: String) -> Bool { table.contains(value) }
}

/// The plain data of a `StringSet`: raw pointers into buffers the set owns,
/// so the flat program uses it without retaining anything.
struct StringTable {
    let bytes: UnsafeMutablePointer<UInt8>
    /// Item i is bytes[offsets[i]..<offsets[i + 1]].
    let offsets: UnsafeMutablePointer<Int32>
    let count: Int
    /// Empty (nil) for small sets, which are scanned.
    let slots: UnsafeMutablePointer<Int32>?
    let hashes: UnsafeMutablePointer<UInt64>?
    let mask: Int

    init(items: [[UInt8]], slots: [Int32], hashes: [UInt64], mask: Int) {
        let total = items.reduce(0) { $0 + $1.count }
        bytes = .allocate(capacity: max(1, total))
        offsets = .allocate(capacity: items.count + 1)
        var offset = 0
        for (index, item) in items.enumerated() {
            offsets[index] = Int32(offset)
            (bytes + offset).update(from: item, count: item.count)
            offset += item.count
        }
        offsets[items.count] = Int32(offset)
        count = items.count
        if slots.isEmpty {
            self.slots = nil
            self.hashes = nil
        } else {
            let slotBuffer = UnsafeMutablePointer<Int32>.allocate(capacity: slots.count)
            slotBuffer.update(from: slots, count: slots.count)
            let hashBuffer = UnsafeMutablePointer<UInt64>.allocate(capacity: hashes.count)
            hashBuffer.update(from: hashes, count: hashes.count)
            self.slots = slotBuffer
            self.hashes = hashBuffer
        }
        self.mask = mask
    }

    func deallocate() {
        bytes.deallocate()
        offsets.deallocate()
        slots?.deallocate()
        hashes?.deallocate()
    }

    @inline(__always)
    private func item(_ index: Int, equals value: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(offsets[index]), length = Int(offsets[index + 1]) - start
        return length == value.count && (length == 0 || memcmp(bytes + start, value.baseAddress!, length) == 0)
    }

    @inline(__always)
    func contains(_ value: String) -> Bool {
        if let found = value.utf8.withContiguousStorageIfAvailable({ contains($0) }) { return found }
        var copy = value
        return copy.withUTF8 { contains($0) }
    }

    func contains(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let slots, let hashes else {
            for index in 0..<count where item(index, equals: value) { return true }
            return false
        }
        let hash = XXH3_64bits(value.baseAddress, value.count)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            if hashes[slot] == hash && item(Int(slots[slot]) - 1, equals: value) { return true }
            slot = (slot + 1) & mask
        }
        return false
    }
}

#if canImport(Glibc)
import Glibc
#endif
