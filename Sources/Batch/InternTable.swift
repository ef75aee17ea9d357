import Foundation
import CXXHash

/// Distinct byte strings of one column, numbered in order of first appearance:
/// rows keep a 4-byte id, each distinct value is hashed and turned into a
/// `String` once. Open addressing on XXH3 (the hash counters use for values).
struct InternTable {
    private(set) var strings: [String] = []
    /// XXH3-64 (seed 0) of each value's bytes: what `distinct` counts.
    private(set) var hashes: [UInt64] = []
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var arena: [UInt8] = []
    /// Slot → id + 1 (0 = empty). Power-of-two size, at most half full.
    private var slots: [Int32] = [Int32](repeating: 0, count: 1_024)

    var count: Int { strings.count }

    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let hash = XXH3_64bits(bytes.baseAddress, bytes.count)
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[index]
            if entry == 0 { break }
            let id = Int(entry - 1)
            if hashes[id] == hash && lengths[id] == bytes.count && equalsArena(id, bytes) { return Int32(id) }
            index = (index + 1) & mask
        }
        let id = strings.count
        strings.append(String(decoding: bytes, as: UTF8.self))
        hashes.append(hash)
        offsets.append(arena.count)
        lengths.append(bytes.count)
        arena.append(contentsOf: bytes)
        slots[index] = Int32(id + 1)
        if strings.count * 2 > slots.count { grow() }
        return Int32(id)
    }

    private func equalsArena(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBufferPointer { stored in
            guard bytes.count > 0 else { return true }
            return memcmp(stored.baseAddress! + offsets[id], bytes.baseAddress!, bytes.count) == 0
        }
    }

    private mutating func grow() {
        var larger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for id in 0..<strings.count {
            var index = Int(truncatingIfNeeded: hashes[id]) & mask
            while larger[index] != 0 { index = (index + 1) & mask }
            larger[index] = Int32(id + 1)
        }
        slots = larger
    }
}
