import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal
/// (CONTRACT: nothing of it otherwise), at most ten times a second.
public final class ProgressReporter: @unchecked Sendable {
    private let isTerminal: Bool
    private var phase = ""
    private var totalBytes = 0
    private var lastDrawNanoseconds: UInt64 = 0
    private var drewSomething = false

    public init(enabled: Bool = isatty(2) != 0) {
        isTerminal = enabled
    }

    public func start(phase: String, totalBytes: Int = 0) {
        self.phase = phase
        self.totalBytes = totalBytes
        lastDrawNanoseconds = 0
        draw(rows: nil, fraction: nil, force: true)
    }

    func update(rows: Int, bytesRead: Int) {
        draw(rows: rows, fraction: totalBytes > 0 ? min(1, Double(bytesRead) / Double(totalBytes)) : nil, force: false)
    }

    public func update(phase: String, fraction: Double) {
        self.phase = phase
        draw(rows: nil, fraction: fraction, force: false)
    }

    /// Clears the bar (call before printing the results).
    public func finish() {
        guard isTerminal, drewSomething else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drewSomething = false
    }

    private func draw(rows: Int?, fraction: Double?, force: Bool) {
        guard isTerminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - lastDrawNanoseconds > 100_000_000 else { return }
        lastDrawNanoseconds = now
        var line = "\r\u{1B}[K\(phase)"
        if let fraction {
            let width = 30
            let filled = Int(fraction * Double(width))
            line += " [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            line += String(format: "%3.0f%%", fraction * 100)
        }
        if let rows { line += "  \(rows) rows" }
        FileHandle.standardError.write(Data(line.utf8))
        drewSomething = true
    }
}
