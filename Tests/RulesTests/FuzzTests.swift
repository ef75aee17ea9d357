import Foundation
import Testing
import TollgateCore
@testable import Rules

/// Thousands of damaged versions of rules/default.rules: the compiler must
/// never crash or hang, and every failure must point at a real line and column.
@Suite("Compiler robustness")
struct FuzzTests {
    static let listLoader: ListFileLoader = { _ in ["fp_1", "mailinator.com", "cus_1"] }

    static let original: [UInt8] = {
        (try? [UInt8](Data(contentsOf: packageRoot.appendingPathComponent("rules/default.rules")))) ?? Array("rule r: block if amount > 1\n".utf8)
    }()

    /// Byte ranges of the tokens of the original file.
    static let tokenRanges: [Range<Int>] = {
        let (tokens, _, _) = Lexer.tokenize(SourceFile(path: "d", bytes: original), limits: .standard)
        return tokens.filter { $0.kind != .newline && $0.kind != .endOfFile }.map { $0.range.start..<$0.range.end }
    }()

    static func mutate(_ random: inout SeededRandom) -> [UInt8] {
        var bytes = original
        let edits = 1 + random.below(4)
        for _ in 0..<edits where !bytes.isEmpty {
            let tokens = tokenRanges.filter { $0.upperBound <= bytes.count }
            switch random.below(9) {
            case 0: // delete a token
                if let t = tokens.randomElement(using: &random) { bytes.removeSubrange(t) }
            case 1: // duplicate a token
                if let t = tokens.randomElement(using: &random) { bytes.insert(contentsOf: bytes[t], at: t.upperBound) }
            case 2: // swap two tokens
                if tokens.count > 2 {
                    let a = tokens[random.below(tokens.count / 2)], b = tokens[tokens.count / 2 + random.below(tokens.count / 2)]
                    let second = Array(bytes[b]), first = Array(bytes[a])
                    bytes.replaceSubrange(b, with: first)
                    bytes.replaceSubrange(a, with: second)
                }
            case 3: // delete a byte
                bytes.remove(at: random.below(bytes.count))
            case 4: // insert a random byte (often invalid UTF-8)
                bytes.insert(UInt8(truncatingIfNeeded: random.next() as UInt64), at: random.below(bytes.count))
            case 5: // replace a byte with punctuation
                let punctuation = Array("()[]@\"#:=<>!?+-*/,.\n\t ".utf8)
                bytes[random.below(bytes.count)] = punctuation[random.below(punctuation.count)]
            case 6: // truncate
                bytes.removeSubrange(random.below(bytes.count)...)
            case 7: // duplicate a line range
                let start = random.below(bytes.count), length = random.below(400)
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + length)], at: random.below(bytes.count))
            default: // a truncated multi-byte character
                bytes.insert(contentsOf: [0xE2, 0x82], at: random.below(bytes.count))
            }
        }
        return bytes
    }

    static func checkDiagnostics(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let source = SourceFile(path: "fuzz.rules", bytes: bytes)
        let result = RuleCompiler.compile(source, listLoader: listLoader)
        let lineCount = bytes.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        for diagnostic in result.diagnostics {
            let (line, column) = source.lineAndColumn(of: diagnostic.range.start)
            guard line >= 1, line <= lineCount, column >= 1, column <= source.lineText(line).unicodeScalars.count + 1 else {
                Issue.record("diagnostic outside the file: \(line):\(column) \(diagnostic.message)", sourceLocation: sourceLocation)
                return false
            }
            _ = diagnostic.render(in: source)
        }
        #expect(result.hasErrors == (result.ruleSet == nil), sourceLocation: sourceLocation)
        if let set = result.ruleSet { _ = set.runTests() }
        return true
    }

    @Test func mutatedDefaultRules() {
        var random = SeededRandom(seed: 20261204)
        var failures = 0
        for _ in 0..<2_000 {
            let bytes = Self.mutate(&random)
            if !Self.checkDiagnostics(bytes) { failures += 1 }
            if failures > 5 { break }
        }
        #expect(failures == 0)
    }

    @Test func everyTruncationOfARule() {
        let line = Array("rule r (shadow): score +25 if not is_missing(ip.country) and card.country != ip.country ?? \"US\"\n".utf8)
        for end in 0...line.count {
            _ = Self.checkDiagnostics(Array(line[..<end]))
        }
    }

    @Test func tenMegabytesOfParentheses() {
        let bytes = Array("rule r: block if ".utf8) + [UInt8](repeating: UInt8(ascii: "("), count: 10 * 1024 * 1024)
        let result = RuleCompiler.compile(SourceFile(path: "p", bytes: bytes))
        #expect(result.diagnostics.map(\.message) == ["file is 10485777 bytes; the limit is 4194304 bytes"])
    }

    @Test func threeMegabytesOfParenthesesUnderTheSizeLimit() {
        let bytes = Array("rule r: block if ".utf8) + [UInt8](repeating: UInt8(ascii: "("), count: 3 * 1024 * 1024)
        let result = RuleCompiler.compile(SourceFile(path: "p", bytes: bytes))
        #expect(result.diagnostics.first?.message == "expression nests deeper than 64 levels")
        #expect(Self.checkDiagnostics(Array(bytes.prefix(100_000))))
    }

    @Test func manyStatementsOfGarbage() {
        var random = SeededRandom(seed: 7)
        let bytes = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: random.next() as UInt64) }
        #expect(Self.checkDiagnostics(bytes))
    }
}

extension Array {
    func randomElement(using random: inout SeededRandom) -> Element? {
        isEmpty ? nil : self[random.below(count)]
    }
}
