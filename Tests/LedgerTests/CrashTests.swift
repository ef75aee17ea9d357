import Foundation
import Ledger
import Testing
import TollgateCore

/// Kills a process that is submitting transfers under load with SIGKILL at
/// random moments, restarts it, and checks that every transfer acknowledged
/// before a kill is stored exactly once and that the invariants hold.
@Suite("Ledger crash safety")
struct CrashTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary: URL = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tollgate")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/tollgate")
    }()

    static let killCount = 24

    @Test("SIGKILL under load, 24 times: every acknowledged transfer survives exactly once", arguments: Backend.allCases)
    func killUnderLoad(backend: Backend) throws {
        guard let location = try LedgerLocation.fresh(backend) else { return }
        defer { location.remove() }
        let storeArguments = backend == .sqlite ? ["--data", location.directory!] : ["--database", location.address]
        var random = SeededRandom(seed: 20_261_204)
        var acknowledged: Set<LedgerID> = []
        var killedWithAcks = 0
        for round in 0..<Self.killCount {
            let child = try AckReadingChild(binary: Self.binary, arguments: [
                "ledger", "load", "--acks", "--submitters", "8", "--seconds", "60", "--seed", String(round),
            ] + storeArguments)
            // A random moment: sometimes during start-up, mostly after some acknowledged transfers.
            let acksToWaitFor = random.chance(0.15) ? 0 : 1 + random.below(400)
            if acksToWaitFor > 0 {
                #expect(child.waitForAcks(atLeast: acksToWaitFor, timeoutSeconds: 60), "round \(round): the load made progress")
            }
            let ids = child.kill()
            if !ids.isEmpty { killedWithAcks += 1 }
            acknowledged.formUnion(ids)
        }
        #expect(killedWithAcks >= 18)
        let ledger = try location.open()
        defer { ledger.close() }
        var missing: [LedgerID] = []
        for id in acknowledged where try ledger.transfer(id: id) == nil { missing.append(id) }
        #expect(missing.count == 0, "\(missing.count) of \(acknowledged.count) acknowledged transfers are missing, e.g. \(missing.prefix(3))")
        let verification = try ledger.verify()
        #expect(verification.violations == [])
        #expect(verification.transferCount >= acknowledged.count)
        // And the ledger still works after all of that.
        let results = try ledger.createTransfers([Transfer(
            id: 0xFEED, debitAccountID: 0x2_0000, creditAccountID: 0x1_0000, amount: 1, currency: usd)])
        #expect(results == [.created])
    }
}

/// A child process whose stdout carries "ack <hex id>" lines, read on a background thread.
final class AckReadingChild: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    private let condition = NSCondition()
    private var ids: [LedgerID] = []
    private var isFinished = false
    private var pendingText = ""

    init(binary: URL, arguments: [String]) throws {
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                condition.lock()
                if data.isEmpty {
                    isFinished = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                pendingText += String(decoding: data, as: UTF8.self)
                while let newline = pendingText.firstIndex(of: "\n") {
                    let line = pendingText[..<newline]
                    if line.hasPrefix("ack "), let id = LedgerID(line.dropFirst(4), radix: 16) { ids.append(id) }
                    pendingText = String(pendingText[pendingText.index(after: newline)...])
                }
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// True once `count` acks arrived; false if the child ended or the time ran out first.
    func waitForAcks(atLeast count: Int, timeoutSeconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        while ids.count < count && !isFinished {
            if !condition.wait(until: deadline) { break }
        }
        return ids.count >= count
    }

    /// SIGKILL, then every id the child acknowledged before it died.
    func kill() -> [LedgerID] {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        condition.lock()
        defer { condition.unlock() }
        while !isFinished { condition.wait() }
        return ids
    }
}
