import Foundation
import TollgateCore

extension SeededRandom {
    /// A small count with a long tail: mostly 0–2, sometimes much more.
    mutating func tailCount(mean: Double, tail: Double, tailMax: Int) -> Int32 {
        if chance(tail) { return Int32(3 + below(tailMax)) }
        var k: Int32 = 0
        var p = unit()
        let limit = exp(-mean)
        while p > limit && k < 50 {
            k += 1
            p *= unit()
        }
        return k
    }
}
