import Foundation
import Testing

/// A full run of `tollgate serve` — every sandbox card and live cards through
/// payment methods, charges, captures, refunds, disputes, decisions, lists and
/// webhooks, with bad requests that echo card numbers back at the server — then
/// every file it wrote (database, WAL, logs) is scanned for any of the numbers,
/// in any of the forms they were sent in.
@Suite("no card number at rest")
struct NoCardNumberAtRestTests {
    static let sandboxNumbers = ["4242424242424242", "4000000000000002", "4000000000009995", "4000000000000069",
                                 "4000000000000119", "4000000000000259"]

    @Test func aFullRunLeavesNoCardNumberInTheDatabaseOrTheLogs() throws {
        let directory = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let logURL = directory.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let adminKey = "adm_scan_test_key_0123456789"
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["serve", "--data", directory.appendingPathComponent("data").path, "--port", "0", "--rules", "rules/default.rules"]
        process.currentDirectoryURL = CLITests.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["TOLLGATE_ADMIN_KEY"] = adminKey
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var printed = ""
        while !printed.contains("listening on") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let address = String(try #require(printed.split(separator: "\n").first { $0.hasPrefix("listening on ") }).dropFirst("listening on ".count))
        func call(_ method: String, _ path: String, _ key: String, _ body: String? = nil) -> (Int, [String: Any]) {
            HTTPCall.send(method, address + path, key: key, body: body)
        }
        let merchant = call("POST", "/v1/merchants", adminKey,
                            #"{"name":"Scan","country":"DE","currency":"EUR","payout_account":{"iban":"DE89370400440532013000"}}"#).1
        let test = try #require(merchant["secret_key"] as? String)
        let live = try #require(merchant["live_secret_key"] as? String)
        _ = call("POST", "/v1/webhook_endpoints", test, #"{"url": "http://127.0.0.1:9/hook", "events": ["*"]}"#)
        let liveNumbers = (0..<4).map { ServeCrashTests.luhn("55555510\($0)000000") }
        var numbers: [(String, String)] = Self.sandboxNumbers.map { ($0, test) } + liveNumbers.map { ($0, live) }
        numbers.append(("4242424242424242", live))  // refused: a sandbox number with a live key
        for (number, key) in numbers {
            for form in [number, Self.spaced(number)] {
                let method = call("POST", "/v1/payment_methods", key,
                                  #"{"type":"card","card":{"number":"\#(form)","exp_month":12,"exp_year":2035,"cvc":"123"}}"#).1
                guard let pm = method["id"] as? String else { continue }
                let charge = call("POST", "/v1/charges", key, #"{"amount": 2500, "payment_method": "\#(pm)", "capture": false}"#).1
                if let id = charge["id"] as? String, charge["status"] as? String == "requires_capture" {
                    _ = call("POST", "/v1/charges/\(id)/capture", key, #"{"amount": 2000}"#)
                    _ = call("POST", "/v1/refunds", key, #"{"charge": "\#(id)", "amount": 500}"#)
                }
                if let fingerprint = (method["card"] as? [String: Any])?["fingerprint"] as? String {
                    _ = call("POST", "/v1/lists/seen_cards/items", key, #"{"value": "\#(fingerprint)"}"#)
                }
            }
            // Mistakes that carry the number: a number where a card id belongs, a bad expiry, unknown fields.
            _ = call("POST", "/v1/charges", key, #"{"amount": 100, "payment_method": "\#(number)"}"#)
            _ = call("POST", "/v1/payment_methods", key, #"{"type":"card","card":{"number":"\#(number)","exp_month":13,"exp_year":2035,"cvc":"123"}}"#)
            _ = call("POST", "/v1/decisions", key, #"{"amount": 100, "card": "\#(number)", "customer": "\#(number)"}"#)
            _ = call("POST", "/v1/decisions", key, #"{"amount": 100, "card_number": "\#(number)"}"#)
        }
        process.interrupt()
        process.waitUntilExit()
        try log.close()
        let logTail = ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").split(separator: "\n").suffix(15).joined(separator: "\n")
        #expect(process.terminationStatus == 0, "the log's end:\n\(logTail)")
        var files: [URL] = [logURL]
        let data = directory.appendingPathComponent("data")
        for name in try FileManager.default.contentsOfDirectory(atPath: data.path) { files.append(data.appendingPathComponent(name)) }
        #expect(files.count >= 3, "the database and its key files: \(files.map(\.lastPathComponent))")
        let logText = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        #expect(logText.contains("/v1/charges"), "the log is the request log")
        for file in files {
            let bytes = try Data(contentsOf: file)
            for (number, _) in numbers {
                for form in [number, Self.spaced(number), String(number.suffix(12))] {
                    #expect(bytes.range(of: Data(form.utf8)) == nil, "\(file.lastPathComponent) holds \(form)")
                }
            }
            for key in [test, live, adminKey] {
                #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file.lastPathComponent) holds a secret key")
            }
        }
    }

    /// "4242 4242 4242 4242": the grouping people type.
    static func spaced(_ number: String) -> String {
        stride(from: 0, to: number.count, by: 4).map { start in
            String(number.dropFirst(start).prefix(4))
        }.joined(separator: " ")
    }
}
