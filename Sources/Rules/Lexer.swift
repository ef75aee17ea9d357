/// Turns UTF-8 bytes into tokens. Newlines are tokens (one rule per line);
/// inside brackets and parentheses they are not, so a list or a call may span
/// lines. Bad bytes become `invalid` tokens with a diagnostic, and lexing goes on.
struct Lexer {
    private let bytes: [UInt8]
    private let limits: RuleLimits
    private var offset = 0
    private var bracketDepth = 0
    private var lineStartOffset = 0
    private var lineIndentColumn = 1
    private var atLineStart = true
    private(set) var tokens: [Token] = []
    private(set) var comments: [Comment] = []
    var diagnostics = DiagnosticList()

    init(source: SourceFile, limits: RuleLimits) {
        self.bytes = source.bytes
        self.limits = limits
    }

    static func tokenize(_ source: SourceFile, limits: RuleLimits) -> (tokens: [Token], comments: [Comment], diagnostics: DiagnosticList) {
        var lexer = Lexer(source: source, limits: limits)
        lexer.run()
        return (lexer.tokens, lexer.comments, lexer.diagnostics)
    }

    private mutating func run() {
        tokens.reserveCapacity(bytes.count / 3)
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                offset += 1
            case UInt8(ascii: "\n"):
                if bracketDepth == 0, let last = tokens.last, last.kind != .newline {
                    emit(.newline, offset, offset + 1, isLineStart: false)
                }
                offset += 1
                lineStartOffset = offset
                atLineStart = true
                // An unindented line always starts a statement: an unclosed bracket
                // must not swallow the rest of the file. (A closing bracket may stand there.)
                if bracketDepth > 0, offset < bytes.count, bytes[offset].isIdentifierStart || bytes[offset] == UInt8(ascii: "#") {
                    bracketDepth = 0
                    if let last = tokens.last, last.kind != .newline {
                        emit(.newline, offset - 1, offset, isLineStart: false)
                    }
                }
            case UInt8(ascii: "#"):
                let start = offset
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
                let trailing = !atLineStart
                comments.append(Comment(range: SourceRange(start, offset),
                                        text: String(decoding: bytes[start..<offset], as: UTF8.self),
                                        trailing: trailing))
            default:
                lexToken()
            }
        }
        if let last = tokens.last, last.kind != .newline {
            emit(.newline, offset, offset, isLineStart: false)
        }
        tokens.append(Token(kind: .endOfFile, range: SourceRange(bytes.count, bytes.count),
                            lineIndentColumn: 1, startsLine: true))
    }

    private mutating func emit(_ kind: TokenKind, _ start: Int, _ end: Int, isLineStart: Bool? = nil) {
        let startsLine = isLineStart ?? atLineStart
        if startsLine && kind != .newline {
            lineIndentColumn = start - lineStartOffset + 1
        }
        tokens.append(Token(kind: kind, range: SourceRange(start, end),
                            lineIndentColumn: lineIndentColumn, startsLine: startsLine))
        if kind != .newline { atLineStart = false }
    }

    private mutating func lexToken() {
        let start = offset
        let byte = bytes[offset]
        if byte.isIdentifierStart {
            lexIdentifier(start)
            return
        }
        if byte.isDigit {
            lexNumber(start)
            return
        }
        offset += 1
        let next: UInt8 = offset < bytes.count ? bytes[offset] : 0
        switch byte {
        case UInt8(ascii: "\""): lexString(start)
        case UInt8(ascii: "@"):
            guard next.isIdentifierStart else {
                diagnostics.error(SourceRange(start, offset), "expected a list name after '@'")
                emit(.invalid, start, offset)
                return
            }
            while offset < bytes.count, bytes[offset].isIdentifierContinue { offset += 1 }
            checkIdentifierLength(start)
            emit(.listReference, start, offset)
        case UInt8(ascii: "="):
            if next == UInt8(ascii: "=") { offset += 1; emit(.equalEqual, start, offset) } else { emit(.equal, start, offset) }
        case UInt8(ascii: "!"):
            if next == UInt8(ascii: "=") {
                offset += 1
                emit(.notEqual, start, offset)
            } else {
                diagnostics.error(SourceRange(start, offset), "unexpected '!'; write 'not' for negation or '!=' for inequality")
                emit(.invalid, start, offset)
            }
        case UInt8(ascii: "<"):
            if next == UInt8(ascii: "=") { offset += 1; emit(.lessEqual, start, offset) } else { emit(.less, start, offset) }
        case UInt8(ascii: ">"):
            if next == UInt8(ascii: "=") { offset += 1; emit(.greaterEqual, start, offset) } else { emit(.greater, start, offset) }
        case UInt8(ascii: "?"):
            if next == UInt8(ascii: "?") {
                offset += 1
                emit(.questionQuestion, start, offset)
            } else {
                diagnostics.error(SourceRange(start, offset), "unexpected '?'; the default operator is '??'")
                emit(.invalid, start, offset)
            }
        case UInt8(ascii: "+"): emit(.plus, start, offset)
        case UInt8(ascii: "-"): emit(.minus, start, offset)
        case UInt8(ascii: "*"): emit(.star, start, offset)
        case UInt8(ascii: "/"): emit(.slash, start, offset)
        case UInt8(ascii: "("): bracketDepth += 1; emit(.leftParen, start, offset)
        case UInt8(ascii: ")"): bracketDepth = max(0, bracketDepth - 1); emit(.rightParen, start, offset)
        case UInt8(ascii: "["): bracketDepth += 1; emit(.leftBracket, start, offset)
        case UInt8(ascii: "]"): bracketDepth = max(0, bracketDepth - 1); emit(.rightBracket, start, offset)
        case UInt8(ascii: ","): emit(.comma, start, offset)
        case UInt8(ascii: ":"): emit(.colon, start, offset)
        default:
            // Skip the rest of a multi-byte character so it is reported once.
            while offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            let shown = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : (validUTF8(start, offset) ? "'\(String(decoding: bytes[start..<offset], as: UTF8.self))'" : "byte 0x\(String(byte, radix: 16, uppercase: true)) (not UTF-8)")
            diagnostics.error(SourceRange(start, offset), "unexpected character \(shown)")
            emit(.invalid, start, offset)
        }
    }

    private func validUTF8(_ start: Int, _ end: Int) -> Bool {
        var decoder = UTF8()
        var iterator = bytes[start..<end].makeIterator()
        if case .scalarValue = decoder.decode(&iterator) { return true }
        return false
    }

    private mutating func lexIdentifier(_ start: Int) {
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte.isIdentifierContinue {
                offset += 1
            } else if byte == UInt8(ascii: "."), offset + 1 < bytes.count, bytes[offset + 1].isIdentifierStart {
                offset += 1 // dotted name: card.country, metadata.order_type
            } else {
                break
            }
        }
        checkIdentifierLength(start)
        emit(.identifier, start, offset)
    }

    private mutating func checkIdentifierLength(_ start: Int) {
        if offset - start > limits.identifierBytesMax {
            diagnostics.error(SourceRange(start, offset), "name is \(offset - start) bytes long; the limit is \(limits.identifierBytesMax)")
        }
    }

    private mutating func lexNumber(_ start: Int) {
        while offset < bytes.count, bytes[offset].isDigit || bytes[offset] == UInt8(ascii: "_") { offset += 1 }
        var kind = TokenKind.integer
        if offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "."), bytes[offset + 1].isDigit {
            offset += 1
            while offset < bytes.count, bytes[offset].isDigit { offset += 1 }
            kind = .decimal
        }
        if offset < bytes.count, bytes[offset].isIdentifierStart {
            let unitStart = offset
            while offset < bytes.count, bytes[offset].isIdentifierContinue { offset += 1 }
            let unit = String(decoding: bytes[unitStart..<offset], as: UTF8.self)
            if kind == .integer, DurationUnit(rawValue: unit) != nil {
                emit(.duration, start, offset)
            } else {
                diagnostics.error(SourceRange(start, offset), "unknown unit '\(unit)'; durations are whole numbers of s, m, h, d or w (90s, 10m, 1h, 7d, 2w)")
                emit(.invalid, start, offset)
            }
            return
        }
        emit(kind, start, offset)
    }

    private mutating func lexString(_ start: Int) {
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                if offset - start - 2 > limits.stringLiteralBytesMax {
                    diagnostics.error(SourceRange(start, offset), "string is \(offset - start - 2) bytes long; the limit is \(limits.stringLiteralBytesMax)")
                }
                emit(.string, start, offset)
                return
            }
            if byte == UInt8(ascii: "\n") { break }
            if byte == UInt8(ascii: "\\") && offset + 1 < bytes.count && bytes[offset + 1] != UInt8(ascii: "\n") { offset += 1 }
            offset += 1
        }
        diagnostics.error(SourceRange(start, start + 1), "unterminated string; add a closing '\"' on the same line")
        emit(.invalid, start, offset)
    }
}

enum DurationUnit: String {
    case s, m, h, d, w

    var seconds: Int64 {
        switch self {
        case .s: 1
        case .m: 60
        case .h: 3_600
        case .d: 86_400
        case .w: 604_800
        }
    }
}

extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isIdentifierStart: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z")) || self == UInt8(ascii: "_")
    }
    var isIdentifierContinue: Bool { isIdentifierStart || isDigit }
}
