import Foundation
import Testing

/// End-to-end: run the built `tollgate` binary and compare its output and exit codes.
@Suite("tollgate command line")
struct CLITests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary built beside this test bundle (debug or release).
    static let binary: URL = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tollgate")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/tollgate")
    }()

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], in directory: URL = packageRoot) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func helpAndUsageErrors() throws {
        let help = try Self.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("rules check FILE..."))
        let rulesHelp = try Self.run(["rules", "--help"])
        #expect(rulesHelp.status == 0)
        #expect(rulesHelp.stdout.contains("tollgate rules test FILE..."))
        let unknown = try Self.run(["frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        let unknownFlag = try Self.run(["rules", "check", "--frob", "x.rules"])
        #expect(unknownFlag.status == 2)
        #expect(unknownFlag.stderr == "tollgate: error: unknown option --frob\n")
        let unknownSub = try Self.run(["rules", "nope"])
        #expect(unknownSub.status == 2)
    }

    @Test func ledgerVerifyAndLoad() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try Self.run(["ledger", "verify", "--data", directory.path])
        #expect(missing.status == 1)
        #expect(missing.stderr == "tollgate: error: no ledger at \(directory.path)/tollgate.db\n")
        let both = try Self.run(["ledger", "verify", "--data", "x", "--database", "postgres://nowhere"])
        #expect(both.status == 1 && both.stderr.contains("not both"))
        let badLoad = try Self.run(["ledger", "load", "--data", directory.path, "--submitters", "zero"])
        #expect(badLoad.status == 2 && badLoad.stderr.split(separator: "\n").count == 1)
        let load = try Self.run(["ledger", "load", "--data", directory.path, "--submitters", "4", "--transfers", "400", "--acks"])
        #expect(load.status == 0)
        // Most of the mix succeeds; payouts beyond a merchant's balance are refused and not acknowledged.
        let acks = load.stdout.split(separator: "\n")
        #expect(acks.count >= 300 && acks.allSatisfy { $0.hasPrefix("ack ") })
        #expect(load.stderr.contains("transfers submitted"))
        let verify = try Self.run(["ledger", "verify", "--data", directory.path])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("all invariants hold"))
        let unknown = try Self.run(["ledger", "frob"])
        #expect(unknown.status == 2)
    }

    @Test func checkAndTestShippedRuleFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.packageRoot.appendingPathComponent("rules").path)
            .filter { $0.hasSuffix(".rules") }.sorted().map { "rules/" + $0 }
        #expect(!files.isEmpty)
        let check = try Self.run(["rules", "check"] + files)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.isEmpty, "rule files in rules/ should have no warnings: \(check.stderr)")
        let test = try Self.run(["rules", "test"] + files)
        #expect(test.status == 0, "\(test.stdout)")
        #expect(test.stdout.hasSuffix(" 0 failed\n"))
    }

    @Test func checkReportsErrorsInCompilerFormat() throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = "let card_tx_1h = count(payments by card over 1h)\nrule ok: block if card_tx_1h > 3\nrule bad: review if amount > card.country\nrule worse: block if nope == 1\n"
        try text.write(to: folder.appendingPathComponent("bad.rules"), atomically: true, encoding: .utf8)
        let run = try Self.run(["rules", "check", "bad.rules"], in: folder)
        #expect(run.status == 1)
        #expect(run.stderr.contains("bad.rules:3:21: error: cannot compare money with country\nrule bad: review if amount > card.country\n                    ^\n"))
        #expect(run.stderr.contains("bad.rules:4:22: error: unknown fact or feature 'nope'"))
        let missing = try Self.run(["rules", "check", "does-not-exist.rules"], in: folder)
        #expect(missing.status == 1)
        #expect(missing.stderr == "does-not-exist.rules: error: no such file\n")
        let device = try Self.run(["rules", "check", "/dev/zero"], in: folder)
        #expect(device.status == 1)
        #expect(device.stderr == "/dev/zero: error: not a regular file\n")
        let huge = folder.appendingPathComponent("huge.rules")
        #expect(FileManager.default.createFile(atPath: huge.path, contents: nil))
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: 50 * 1024 * 1024)
        try handle.close()
        let big = try Self.run(["rules", "check", "huge.rules"], in: folder)
        #expect(big.status == 1)
        #expect(big.stderr == "huge.rules: error: file is 52428800 bytes; the limit is 4194304 bytes\n")
    }

    @Test func listFilesResolveRelativeToTheRuleFile() throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("r/lists"), withIntermediateDirectories: true)
        try "# bad bins\n411111\n\n  550000  \n".write(to: folder.appendingPathComponent("r/lists/bins.txt"), atomically: true, encoding: .utf8)
        try """
        list bins = file "lists/bins.txt"
        list gone = file "lists/missing.txt"
        rule bin: block if card.bin in @bins
        """.write(to: folder.appendingPathComponent("r/a.rules"), atomically: true, encoding: .utf8)
        let run = try Self.run(["rules", "check", "r/a.rules"], in: folder)
        #expect(run.status == 1)
        #expect(run.stderr.contains("r/a.rules:2:18: error: cannot read list file \"lists/missing.txt\": no such file"))
        try "list bins = file \"lists/bins.txt\"\nrule bin: block if card.bin in @bins\n".write(to: folder.appendingPathComponent("r/a.rules"), atomically: true, encoding: .utf8)
        let eval = try Self.run(["rules", "eval", "r/a.rules", "card.bin=550000"], in: folder)
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("action: block"))
        #expect(eval.stdout.contains("fired: bin [block] card.bin=550000"))
    }

    @Test func testCommandNamesFailures() throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        rule big: review if amount > 100.00
        test "big goes to review":
          given amount = 150.00
          expect review by big
        test "wrong on purpose":
          given amount = 50.00
          expect block by big
        """.write(to: folder.appendingPathComponent("t.rules"), atomically: true, encoding: .utf8)
        let run = try Self.run(["rules", "test", "t.rules"], in: folder)
        #expect(run.status == 1)
        #expect(run.stdout.contains("t.rules:5: FAIL \"wrong on purpose\": expected block by big, got allow (no rule fired); did not fire: big"))
        #expect(run.stdout.hasSuffix("1 passed, 1 failed\n"))
    }

    @Test func fmtIsIdempotentAndWritesInPlace() throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let messy = "# header\nrule   a :block   if amount>1.00 and(card.country==\"US\")  # why\n\n\n\nrule bb: score +5 if amount > 2.00\n"
        let path = folder.appendingPathComponent("m.rules")
        try messy.write(to: path, atomically: true, encoding: .utf8)
        let check = try Self.run(["rules", "fmt", "--check", "m.rules"], in: folder)
        #expect(check.status == 1)
        let write = try Self.run(["rules", "fmt", "--write", "m.rules"], in: folder)
        #expect(write.status == 0)
        let formatted = try String(contentsOf: path, encoding: .utf8)
        #expect(formatted == "# header\nrule a: block if amount > 1.00 and card.country == \"US\"  # why\n\nrule bb: score +5 if amount > 2.00\n")
        let again = try Self.run(["rules", "fmt", "--check", "m.rules"], in: folder)
        #expect(again.status == 0)
    }
}
