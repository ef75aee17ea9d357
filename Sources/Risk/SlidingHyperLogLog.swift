import Foundation

/// A HyperLogLog that answers "how many distinct values in the last W seconds"
/// for any W (Chabchoub and Hébrail's sliding HyperLogLog). Each register keeps
/// the few (time, rank) pairs that may still be its maximum for some future
/// window: newer pairs with rank at least as high make older ones useless.
/// Standard error 1.04 / sqrt(registers).
struct SlidingHyperLogLog {
    private let precisionBits: Int
    /// Per register, pairs ordered by time ascending with rank strictly descending.
    private var registers: [[Entry]]

    struct Entry {
        var time: Int64
        var rank: UInt8
    }

    init(precisionBits: Int) {
        precondition((4...16).contains(precisionBits), "HyperLogLog precision out of range")
        self.precisionBits = precisionBits
        registers = Array(repeating: [], count: 1 << precisionBits)
    }

    mutating func insert(hash: UInt64, time: Int64) {
        let index = Int(hash >> UInt64(64 - precisionBits))
        let rest = hash << UInt64(precisionBits)
        let rank = UInt8(min(rest.leadingZeroBitCount, 64 - precisionBits) + 1)
        var list = registers[index]
        // Already dominated by a pair at least as new and as high: nothing to keep.
        if list.contains(where: { $0.time >= time && $0.rank >= rank }) { return }
        list.removeAll { $0.time <= time && $0.rank <= rank }
        let position = list.firstIndex { $0.time > time } ?? list.count
        list.insert(Entry(time: time, rank: rank), at: position)
        registers[index] = list
    }

    /// Estimated distinct values with time in (from, through].
    func estimate(from: Int64, through: Int64) -> Double {
        let count = registers.count
        var sum = 0.0
        var zeros = 0
        for list in registers {
            var best: UInt8 = 0
            for entry in list where entry.time > from && entry.time <= through { best = max(best, entry.rank) }
            if best == 0 { zeros += 1 }
            sum += 1.0 / Double(UInt64(1) << UInt64(best))
        }
        let m = Double(count)
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        // Small ranges: linear counting is the better estimator.
        if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) }
        return raw
    }

    /// Drops pairs too old for any window ending at or after `now - windowSeconds`.
    mutating func evict(olderThan cutoff: Int64) {
        for index in registers.indices where registers[index].first.map({ $0.time <= cutoff }) ?? false {
            registers[index].removeAll { $0.time <= cutoff }
        }
    }

    var entryCount: Int { registers.reduce(0) { $0 + $1.count } }
}
