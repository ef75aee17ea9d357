import CXXHash

/// Membership of strings for lists and `in [...]`: a linear scan of lengths
/// and bytes for a few items, an open-addressing table of XXH3 hashes for
/// many. Avoids Swift's SipHash, which dominated evaluation profiles.
struct StringSet: Sendable {
    private let items: [[UInt8]]
    /// For large sets: slot → index into `items` + 1 (0 = empty); size is a power of two.
    private let slots: [Int32]
    private let hashes: [UInt64]
    private let mask: Int
    private static let linearMax = 8

    init(_ values: [String]) {
        let unique = Array(Set(values)).sorted()
        items = unique.map { Array($0.utf8) }
        guard unique.count > StringSet.linearMax else {
            slots = []
            hashes = []
            mask = 0
            return
        }
        var size = 16
        while size < unique.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        var hashes = [UInt64](repeating: 0, count: size)
        for (index, item) in items.enumerated() {
            let hash = StringSet.hash(item)
            var slot = Int(truncatingIfNeeded: hash) & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(index + 1)
            hashes[slot] = hash
        }
        self.slots = slots
        self.hashes = hashes
        self.mask = size - 1
    }

    var parts: (items: [[UInt8]], slots: [Int32], hashes: [UInt64], mask: Int) { (items, slots, hashes, mask) }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
    }

    @inline(__always)
    func contains(_ value: String) -> Bool {
        if let found = value.utf8.withContiguousStorageIfAvailable({ contains($0) }) { return found }
        var copy = value
        return copy.withUTF8 { contains($0) }
    }

    func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if slots.isEmpty {
            for item in items where item.count == bytes.count {
                if item.withUnsafeBufferPointer({ equal($0, bytes) }) { return true }
            }
            return false
        }
        let hash = XXH3_64bits(bytes.baseAddress, bytes.count)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            if hashes[slot] == hash, items[Int(slots[slot]) - 1].withUnsafeBufferPointer({ equal($0, bytes) }) { return true }
            slot = (slot + 1) & mask
        }
        return false
    }

    @inline(__always)
    private func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}

/// A plain-data view of a `StringSet` for the flat program: raw pointers into
/// buffers its `Program` owns, so using it retains nothing.
struct StringTable {
    let bytes: UnsafeMutablePointer<UInt8>
    /// Item i is bytes[offsets[i]..<offsets[i + 1]].
    let offsets: UnsafeMutablePointer<Int32>
    let count: Int
    /// Empty (nil) for small sets, which are scanned.
    let slots: UnsafeMutablePointer<Int32>?
    let hashes: UnsafeMutablePointer<UInt64>?
    let mask: Int

    init(_ set: StringSet) {
        let (items, slots, hashes, mask) = set.parts
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
