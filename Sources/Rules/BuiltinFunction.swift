/// The functions rules may call. Each checks its argument types at compile time.
enum BuiltinFunction: String, CaseIterable {
    case is_missing, lower, upper, length, starts_with, ends_with, contains, abs, min, max, hour_of_day, day_of_week

    var arity: Int {
        switch self {
        case .is_missing, .lower, .upper, .length, .abs, .hour_of_day, .day_of_week: 1
        case .starts_with, .ends_with, .contains, .min, .max: 2
        }
    }

    func compile(_ args: [Typed], _ exprs: [Expr], _ range: SourceRange, compiler: ExpressionCompiler) -> Typed? {
        let reads = args.flatMap(\.reads).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let isConstant = args.allSatisfy(\.isConstant)
        let cost = args.reduce(2) { $0 + $1.cost }
        func result(_ type: ValueType, _ code: Code) -> Typed {
            Typed(type: type, code: code, isConstant: isConstant, slot: nil, literal: nil, cost: cost, reads: reads)
        }
        func require(_ index: Int, _ types: [ValueType]) -> Bool {
            if types.contains(args[index].type) { return true }
            let wanted = types.map(\.rawValue).joined(separator: " or ")
            compiler.error(exprs[index].range, "\(rawValue) needs \(wanted), but this is \(args[index].type.article)")
            return false
        }
        switch self {
        case .is_missing:
            let arg = args[0]
            let code: BoolCode
            switch arg.code {
            case .bool(let c): code = { r in c(r) == TruthValue.missing ? 1 : 0 }
            case .word(let c):
                if let slot = arg.slot { code = { r in r.present[slot] ? 0 : 1 } } else { code = { r in c(r) == nil ? 1 : 0 } }
            case .double(let c): code = { r in c(r) == nil ? 1 : 0 }
            case .string(let c): code = { r in c(r) == nil ? 1 : 0 }
            }
            var typed = result(.bool, .bool(code))
            if let slot = arg.slot { typed.predicate = .isMissing(slot: slot) }
            return typed
        case .lower, .upper:
            guard require(0, [.string]) else { return nil }
            let c = args[0].stringCode
            let lower = self == .lower
            return result(.string, .string({ r in lower ? c(r)?.lowercased() : c(r)?.uppercased() }))
        case .length:
            guard require(0, [.string]) else { return nil }
            let c = args[0].stringCode
            return result(.integer, .word({ r in c(r).map { Int64($0.count) } }))
        case .starts_with, .ends_with, .contains:
            guard require(0, [.string]), require(1, [.string]) else { return nil }
            let a = args[0].stringCode, b = args[1].stringCode
            let test: @Sendable (String, String) -> Bool
            switch self {
            case .starts_with: test = { $0.utf8.starts(with: $1.utf8) }
            case .ends_with: test = { $0.utf8.reversed().starts(with: $1.utf8.reversed()) }
            default: test = { text, part in text.utf8.containsSubsequence(part.utf8) }
            }
            return result(.bool, .bool({ r in
                guard let x = a(r), let y = b(r) else { return TruthValue.missing }
                return test(x, y) ? 1 : 0
            }))
        case .abs:
            guard require(0, [.integer, .decimal, .money, .duration]) else { return nil }
            switch args[0].code {
            case .double(let c): return result(.decimal, .double({ r in c(r).map { Swift.abs($0) } }))
            case .word(let c): return result(args[0].type, .word({ r in
                guard let v = c(r), v != .min else { return nil }
                return Swift.abs(v)
            }))
            default: return nil
            }
        case .min, .max:
            guard let (a, b, type) = compiler.unify(args[0], args[1], range, verb: "take the \(rawValue) of", joiner: "and") else { return nil }
            guard type.isOrdered else {
                compiler.error(range, "\(rawValue) needs numbers, money, durations or times, not \(type.rawValue)")
                return nil
            }
            let isMin = self == .min
            switch (a.code, b.code) {
            case (.word(let x), .word(let y)): return result(type, .word({ r in
                guard let p = x(r), let q = y(r) else { return nil }
                return isMin ? Swift.min(p, q) : Swift.max(p, q)
            }))
            case (.double(let x), .double(let y)): return result(type, .double({ r in
                guard let p = x(r), let q = y(r) else { return nil }
                return isMin ? Swift.min(p, q) : Swift.max(p, q)
            }))
            default: return nil
            }
        case .hour_of_day, .day_of_week:
            guard require(0, [.timestamp]) else { return nil }
            let c = args[0].wordCode
            if self == .hour_of_day {
                return result(.integer, .word({ r in c(r).map { t in ((t % 86_400) + 86_400) % 86_400 / 3_600 } }))
            }
            // 1970-01-01 was a Thursday; ISO weekdays run Monday = 1 … Sunday = 7.
            return result(.integer, .word({ r in c(r).map { t in
                let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
                return ((days + 3) % 7 + 7) % 7 + 1
            } }))
        }
    }
}

extension String.UTF8View {
    /// Naive byte search; rule strings are short.
    func containsSubsequence(_ part: String.UTF8View) -> Bool {
        let haystack = Array(self), needle = Array(part)
        if needle.isEmpty { return true }
        if needle.count > haystack.count { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
