#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one; everything
/// else matches itself, case-sensitively (use `lower(x) like …` to fold case).
struct LikePattern: Sendable {
    private enum Piece: Sendable {
        case literal([UInt8])
        case anyOne
        case anyRun
    }

    private let pieces: [Piece]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        for scalar in pattern.unicodeScalars {
            if scalar == "%" || scalar == "_" {
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] }
                if scalar == "%" {
                    if case .anyRun = pieces.last {} else { pieces.append(.anyRun) }
                } else {
                    pieces.append(.anyOne)
                }
            } else {
                literal.append(contentsOf: String(scalar).utf8)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches($0) }
    }

    /// Greedy matching that backtracks only to the last `%`: O(text × pattern)
    /// in the worst case, so no pattern can make evaluation hang.
    private func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var piece = 0
        var position = 0
        var lastRunPiece = -1
        var lastRunPosition = 0
        while position < text.count {
            if piece < pieces.count {
                switch pieces[piece] {
                case .literal(let bytes):
                    if position + bytes.count <= text.count && bytes.withUnsafeBufferPointer({ lit in
                        memcmp(lit.baseAddress!, text.baseAddress! + position, lit.count) == 0
                    }) {
                        position += bytes.count
                        piece += 1
                        continue
                    }
                case .anyOne:
                    position += Self.scalarLength(text[position])
                    piece += 1
                    continue
                case .anyRun:
                    lastRunPiece = piece
                    lastRunPosition = position
                    piece += 1
                    continue
                }
            }
            guard lastRunPiece >= 0 else { return false }
            lastRunPosition += Self.scalarLength(text[lastRunPosition])
            position = lastRunPosition
            piece = lastRunPiece + 1
        }
        if position > text.count { return false }
        while piece < pieces.count, case .anyRun = pieces[piece] { piece += 1 }
        return piece == pieces.count
    }

    private static func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >> 5 == 0b110 { return 2 }
        if lead >> 4 == 0b1110 { return 3 }
        return 4
    }
}
