/// A small seeded generator: the same seed gives the same benchmark data everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A small count with a long tail: mostly 0–2, sometimes much more.
    mutating func tailCount(mean: Double, tail: Double, tailMax: Int) -> Int32 {
        if chance(tail) { return Int32(3 + below(tailMax)) }
        var k: Int32 = 0
        var p = Double(next() >> 11) / Double(1 << 53)
        let limit = exp(-mean)
        while p > limit && k < 50 {
            k += 1
            p *= Double(next() >> 11) / Double(1 << 53)
        }
        return k
    }
}

import Foundation
