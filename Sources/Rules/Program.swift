/// The shape of a boolean expression, when it is made of parts the flat
/// program runs without calling a closure; anything else is `.code`.
indirect enum Predicate: Sendable {
    case constant(Truth)
    case wordCompare(BinaryOperator, slot: Int, constant: Int64)
    case wordSlots(BinaryOperator, slot: Int, other: Int)
    case stringEquals(slot: Int, bytes: [UInt8], negated: Bool)
    case stringIn(slot: Int, set: StringSet, negated: Bool)
    case countryIn(slot: Int, bitmap: CountryBitmap, negated: Bool)
    case isMissing(slot: Int)
    /// Σ left OP Σ right + constant, each Σ of factor × slot.
    case affineCompare(BinaryOperator, [AffineTerm], [AffineTerm], constant: Int64)
    case not(Predicate)
    case and(Predicate, Predicate)
    case or(Predicate, Predicate)
    case code(BoolCode)
}

/// All rule conditions of a rule set as one array of plain instructions run
/// by a switch over a small stack of truth values. Plain data means no
/// reference counting per rule, which dominated the closure-per-rule design;
/// closures remain for arithmetic, functions and other rare shapes.
final class Program: @unchecked Sendable {
    enum Opcode: UInt8 {
        case constant, wordCompare, wordSlots, stringEquals, stringIn, countryIn, isMissing, affineCompare, code
        case not, and, or, jumpIfFalse, jumpIfTrue, popJumpIfFalse, fire
    }

    /// What a leaf does with its truth value: push it (and maybe jump on it,
    /// for `and`/`or`), or fire its rule when it is true (a one-leaf condition).
    /// Folding these into the leaf saves a dispatch per leaf.
    enum Then: UInt8 {
        case push, pushJumpIfFalse, pushJumpIfTrue, fire
        /// The left side of `and` in a rule: false decides, so jump with nothing pushed.
        case pushOrSkipIfFalse
        /// The right side of `and`/`or` when it is a leaf: combine with the value below.
        case andPush, orPush, andFire
    }

    /// One instruction; plain data. Field use depends on the opcode.
    struct Instruction {
        var opcode: Opcode
        var comparison: UInt8 = 0     // 0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=
        var negated = false
        var then: Then = .push
        var slot: Int32 = 0
        /// Second slot or table index.
        var operand: Int32 = 0
        /// Jump target or rule index, for `then`, `jump…` and `fire`.
        var target: Int32 = 0
        /// For `affineCompare`: how many right-hand terms follow the left ones.
        var rightTerms: Int32 = 0
        var constant: Int64 = 0
    }

    private let instructions: UnsafeMutableBufferPointer<Instruction>
    private let stringTables: UnsafeMutableBufferPointer<StringTable>
    /// Keeps the memory of `stringTables` alive.
    private let stringSets: [StringSet]
    private let countryBitmaps: UnsafeMutableBufferPointer<CountryBitmap>
    private let stringBytes: UnsafeMutableBufferPointer<UInt8>
    private let closures: UnsafeMutableBufferPointer<BoolCode>
    /// Affine terms: for an `affineCompare`, `operand` is the first of its left
    /// terms, `slot` their count, then `comparisonRight` right terms follow.
    private let termSlots: UnsafeMutableBufferPointer<Int32>
    private let termFactors: UnsafeMutableBufferPointer<Int64>
    private let instructionCount: Int
    private let closureCount: Int
    let stackDepthMax: Int

    /// Lowers each condition so that it fires its index when true.
    init(conditions: [Predicate]) {
        var builder = Builder()
        for (index, condition) in conditions.enumerated() {
            builder.emit(condition, then: .fire, target: Int32(index))
        }
        instructions = .allocate(capacity: max(1, builder.instructions.count))
        _ = instructions.initialize(from: builder.instructions)
        stringTables = .allocate(capacity: max(1, builder.stringSets.count))
        _ = stringTables.initialize(from: builder.stringSets.map(\.table))
        stringSets = builder.stringSets
        countryBitmaps = .allocate(capacity: max(1, builder.countryBitmaps.count))
        _ = countryBitmaps.initialize(from: builder.countryBitmaps)
        stringBytes = .allocate(capacity: max(1, builder.stringBytes.count))
        _ = stringBytes.initialize(from: builder.stringBytes)
        closures = .allocate(capacity: max(1, builder.closures.count))
        _ = closures.initialize(from: builder.closures)
        termSlots = .allocate(capacity: max(1, builder.termSlots.count))
        _ = termSlots.initialize(from: builder.termSlots)
        termFactors = .allocate(capacity: max(1, builder.termFactors.count))
        _ = termFactors.initialize(from: builder.termFactors)
        instructionCount = builder.instructions.count
        closureCount = builder.closures.count
        stackDepthMax = max(1, builder.depthMax)
    }

    deinit {
        instructions.deallocate()
        stringTables.deallocate()
        countryBitmaps.deallocate()
        stringBytes.deallocate()
        closures.baseAddress!.deinitialize(count: closureCount)
        closures.deallocate()
        termSlots.deallocate()
        termFactors.deallocate()
    }

    private struct Builder {
        var instructions: [Instruction] = []
        var stringSets: [StringSet] = []
        var countryBitmaps: [CountryBitmap] = []
        var stringBytes: [UInt8] = []
        var closures: [BoolCode] = []
        var termSlots: [Int32] = []
        var termFactors: [Int64] = []
        var depth = 0
        var depthMax = 0

        /// Appends a leaf with its `then`; returns its index (to patch a jump target).
        private mutating func leaf(_ instruction: Instruction, _ then: Then, _ target: Int32) -> Int {
            var instruction = instruction
            instruction.then = then
            instruction.target = target
            instructions.append(instruction)
            switch then {
            case .push, .pushJumpIfFalse, .pushJumpIfTrue, .pushOrSkipIfFalse:
                depth += 1
                depthMax = max(depthMax, depth)
            case .andFire: depth -= 1
            case .fire, .andPush, .orPush: break
            }
            return instructions.count - 1
        }

        private func isLeaf(_ predicate: Predicate) -> Bool {
            switch predicate {
            case .not, .and, .or: false
            default: true
            }
        }

        /// Applies `then` to a value a non-leaf left on the stack.
        private mutating func finish(_ then: Then, _ target: Int32) -> Int {
            switch then {
            case .push: return instructions.count - 1
            case .pushJumpIfFalse: instructions.append(Instruction(opcode: .jumpIfFalse, target: target))
            case .pushJumpIfTrue: instructions.append(Instruction(opcode: .jumpIfTrue, target: target))
            case .pushOrSkipIfFalse: instructions.append(Instruction(opcode: .popJumpIfFalse, target: target))
            case .andPush, .orPush, .andFire: preconditionFailure("only leaves combine")
            case .fire:
                instructions.append(Instruction(opcode: .fire, target: target))
                depth -= 1
            }
            return instructions.count - 1
        }

        /// Emits `predicate`; returns the index of the instruction whose `target`
        /// a jump `then` must patch.
        @discardableResult
        mutating func emit(_ predicate: Predicate, then: Then, target: Int32 = 0) -> Int {
            switch predicate {
            case .constant(let truth):
                return leaf(Instruction(opcode: .constant, constant: Int64(truth)), then, target)
            case .wordCompare(let op, let slot, let constant):
                return leaf(Instruction(opcode: .wordCompare, comparison: op.comparisonCode, slot: Int32(slot), constant: constant), then, target)
            case .wordSlots(let op, let slot, let other):
                return leaf(Instruction(opcode: .wordSlots, comparison: op.comparisonCode, slot: Int32(slot), operand: Int32(other)), then, target)
            case .stringEquals(let slot, let bytes, let negated):
                let index = leaf(Instruction(opcode: .stringEquals, negated: negated, slot: Int32(slot), operand: Int32(stringBytes.count),
                                             constant: Int64(bytes.count)), then, target)
                stringBytes.append(contentsOf: bytes)
                return index
            case .stringIn(let slot, let set, let negated):
                stringSets.append(set)
                return leaf(Instruction(opcode: .stringIn, negated: negated, slot: Int32(slot), operand: Int32(stringSets.count - 1)), then, target)
            case .countryIn(let slot, let bitmap, let negated):
                countryBitmaps.append(bitmap)
                return leaf(Instruction(opcode: .countryIn, negated: negated, slot: Int32(slot), operand: Int32(countryBitmaps.count - 1)), then, target)
            case .isMissing(let slot):
                return leaf(Instruction(opcode: .isMissing, slot: Int32(slot)), then, target)
            case .affineCompare(let op, let left, let right, let constant):
                let start = Int32(termSlots.count)
                for term in left + right {
                    termSlots.append(Int32(term.slot))
                    termFactors.append(term.factor)
                }
                var instruction = Instruction(opcode: .affineCompare, comparison: op.comparisonCode, slot: Int32(left.count),
                                              operand: start, constant: constant)
                instruction.rightTerms = Int32(right.count)
                return leaf(instruction, then, target)
            case .code(let code):
                closures.append(code)
                return leaf(Instruction(opcode: .code, operand: Int32(closures.count - 1)), then, target)
            case .not(let inner):
                emit(inner, then: .push)
                instructions.append(Instruction(opcode: .not))
                return finish(then, target)
            case .and(let left, let right) where isLeaf(right) && (then == .fire || then == .push):
                // left (skipping the leaf when false), then the leaf combines: two dispatches, not four.
                let jump = emit(left, then: then == .fire ? .pushOrSkipIfFalse : .pushJumpIfFalse)
                let index = emit(right, then: then == .fire ? .andFire : .andPush, target: target)
                instructions[jump].target = Int32(instructions.count)
                return index
            case .or(let left, let right) where isLeaf(right) && then == .push:
                let jump = emit(left, then: .pushJumpIfTrue)
                let index = emit(right, then: .orPush)
                instructions[jump].target = Int32(instructions.count)
                return index
            case .and(let left, let right), .or(let left, let right):
                let isAnd: Bool
                if case .and = predicate { isAnd = true } else { isAnd = false }
                // left (jumping past the combine when it decides alone), right, combine.
                let jump = emit(left, then: isAnd ? .pushJumpIfFalse : .pushJumpIfTrue)
                emit(right, then: .push)
                instructions.append(Instruction(opcode: isAnd ? .and : .or))
                depth -= 1
                instructions[jump].target = Int32(instructions.count)
                return finish(then, target)
            }
        }
    }

    /// Runs every condition; calls `fired(index)` for each that is true.
    @inline(__always)
    func run(_ record: FactRecord, _ fired: (Int) -> Void) {
        withUnsafeTemporaryAllocation(of: Truth.self, capacity: stackDepthMax) { stack in
            var top = -1
            var pc = 0
            let end = instructionCount
            let words = record.words
            let present = record.present
            while pc < end {
                let instruction = instructions[pc]
                pc += 1
                let truth: Truth
                switch instruction.opcode {
                case .constant:
                    truth = Truth(instruction.constant)
                case .wordCompare:
                    let slot = Int(instruction.slot)
                    truth = present[slot] ? (Program.compare(instruction.comparison, words[slot], instruction.constant) ? 1 : 0) : 2
                case .wordSlots:
                    let a = Int(instruction.slot), b = Int(instruction.operand)
                    truth = present[a] && present[b] ? (Program.compare(instruction.comparison, words[a], words[b]) ? 1 : 0) : 2
                case .stringEquals:
                    let slot = Int(instruction.slot)
                    if present[slot] {
                        let equal = Program.equals(record.strings[slot], stringBytes.baseAddress! + Int(instruction.operand), Int(instruction.constant))
                        truth = equal != instruction.negated ? 1 : 0
                    } else {
                        truth = 2
                    }
                case .stringIn:
                    let slot = Int(instruction.slot)
                    if present[slot] {
                        let found = stringTables[Int(instruction.operand)].contains(record.strings[slot])
                        truth = found != instruction.negated ? 1 : 0
                    } else {
                        truth = 2
                    }
                case .countryIn:
                    let slot = Int(instruction.slot)
                    truth = present[slot] ? (countryBitmaps[Int(instruction.operand)].contains(words[slot]) != instruction.negated ? 1 : 0) : 2
                case .isMissing:
                    truth = present[Int(instruction.slot)] ? 0 : 1
                case .affineCompare:
                    let start = Int(instruction.operand), leftCount = Int(instruction.slot)
                    if let left = affineSum(start, leftCount, words, present),
                       let right = affineSum(start + leftCount, Int(instruction.rightTerms), words, present, plus: instruction.constant) {
                        truth = Program.compare(instruction.comparison, left, right) ? 1 : 0
                    } else {
                        truth = 2
                    }
                case .code:
                    truth = closures[Int(instruction.operand)](record)
                case .not:
                    if stack[top] != TruthValue.missing { stack[top] = 1 - stack[top] }
                    continue
                case .and:
                    let b = stack[top]; top -= 1
                    let a = stack[top]
                    stack[top] = a == 0 || b == 0 ? 0 : (a == 1 && b == 1 ? 1 : 2)
                    continue
                case .or:
                    let b = stack[top]; top -= 1
                    let a = stack[top]
                    stack[top] = a == 1 || b == 1 ? 1 : (a == 0 && b == 0 ? 0 : 2)
                    continue
                case .jumpIfFalse:
                    if stack[top] == TruthValue.isFalse { pc = Int(instruction.target) }
                    continue
                case .jumpIfTrue:
                    if stack[top] == TruthValue.isTrue { pc = Int(instruction.target) }
                    continue
                case .popJumpIfFalse:
                    if stack[top] == TruthValue.isFalse {
                        top -= 1
                        pc = Int(instruction.target)
                    }
                    continue
                case .fire:
                    if stack[top] == TruthValue.isTrue { fired(Int(instruction.target)) }
                    top -= 1
                    continue
                }
                // A leaf: what to do with its truth.
                switch instruction.then {
                case .push:
                    top += 1; stack[top] = truth
                case .pushJumpIfFalse:
                    top += 1; stack[top] = truth
                    if truth == TruthValue.isFalse { pc = Int(instruction.target) }
                case .pushJumpIfTrue:
                    top += 1; stack[top] = truth
                    if truth == TruthValue.isTrue { pc = Int(instruction.target) }
                case .fire:
                    if truth == TruthValue.isTrue { fired(Int(instruction.target)) }
                case .pushOrSkipIfFalse:
                    if truth == TruthValue.isFalse {
                        pc = Int(instruction.target)
                    } else {
                        top += 1; stack[top] = truth
                    }
                case .andPush:
                    let a = stack[top]
                    stack[top] = a == 0 || truth == 0 ? 0 : (a == 1 && truth == 1 ? 1 : 2)
                case .orPush:
                    let a = stack[top]
                    stack[top] = a == 1 || truth == 1 ? 1 : (a == 0 && truth == 0 ? 0 : 2)
                case .andFire:
                    let a = stack[top]; top -= 1
                    if a == 1 && truth == 1 { fired(Int(instruction.target)) }
                }
            }
        }
    }

    /// Σ factor × slot (+ `plus` when there are no terms), nil when a slot is
    /// missing or a step overflows: the closures' semantics, step by step.
    @inline(__always)
    private func affineSum(_ start: Int, _ count: Int, _ words: UnsafeMutablePointer<Int64>, _ present: UnsafeMutablePointer<Bool>,
                           plus constant: Int64 = 0) -> Int64? {
        if count == 0 { return constant }
        var sum: Int64 = 0
        for index in start..<(start + count) {
            let slot = Int(termSlots[index])
            guard present[slot] else { return nil }
            var value = words[slot]
            let factor = termFactors[index]
            if factor != 1 {
                let (product, overflow) = value.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                value = product
            }
            if index == start {
                sum = value
            } else {
                let (total, overflow) = sum.addingReportingOverflow(value)
                if overflow { return nil }
                sum = total
            }
        }
        return sum
    }

    @inline(__always)
    static func compare(_ comparison: UInt8, _ a: Int64, _ b: Int64) -> Bool {
        switch comparison {
        case 0: a == b
        case 1: a != b
        case 2: a < b
        case 3: a <= b
        case 4: a > b
        default: a >= b
        }
    }

    @inline(__always)
    static func equals(_ string: String, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == count else { return false }
        if let equal = utf8.withContiguousStorageIfAvailable({ count == 0 || memcmp($0.baseAddress!, bytes, count) == 0 }) {
            return equal
        }
        return utf8.elementsEqual(UnsafeBufferPointer(start: bytes, count: count))
    }
}

extension BinaryOperator {
    var comparisonCode: UInt8 {
        switch self {
        case .equal: 0
        case .notEqual: 1
        case .less: 2
        case .lessEqual: 3
        case .greater: 4
        case .greaterEqual: 5
        default: preconditionFailure("not a comparison: \(self)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
