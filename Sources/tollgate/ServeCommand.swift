import Foundation
import Gateway
import HTTP
import Ledger
import Rules
import RulesIO

/// `tollgate serve`: the HTTP API on libmicrohttpd, SQLite under `--data` or PostgreSQL with `--database`.
enum ServeCommand {
    static let usage = """
    usage: tollgate serve [--data DIR] [--host 127.0.0.1] [--port 8080]
                          [--database URL] [--redis URL] [--rules FILE]

      --data DIR       SQLite files (default ./data: DIR/tollgate.db, shared with the ledger) and key files
      --database URL   keep the ledger and the API's tables in PostgreSQL (postgres://…) instead of
                       DIR/tollgate.db; the key files stay in DIR
      --redis URL      keep velocity counters in Redis (redis://host:port[/db]); default: in memory
      --rules FILE     the rule file every merchant starts with (default rules/default.rules)

    The card vault's AES-256-GCM key comes from TOLLGATE_VAULT_KEY (64 hex digits) or DIR/vault.key,
    the card fingerprint HMAC key from TOLLGATE_CARD_FINGERPRINT_KEY or DIR/card-fingerprint.key
    (each file made with mode 0600 on first start). The platform admin key comes from TOLLGATE_ADMIN_KEY; when it is unset, the first start
    creates one and prints it once. Logs are JSON lines on stderr (never a card number or a
    key). SIGTERM or SIGINT: no new requests, those in flight finish, then exit 0.
    TOLLGATE_HTTP_THREADS sets the server's threads (default: one per core).
    """

    static func run(_ arguments: [String]) -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions(arguments, valued: ["data", "host", "port", "database", "redis", "rules"], switches: [])
        } catch {
            return TollgateCommand.usageError(error.message)
        }
        if options.wantsHelp {
            print(usage)
            return 0
        }
        guard options.positional.isEmpty else { return TollgateCommand.usageError("serve takes no positional arguments") }
        guard let port = UInt16(options["port"] ?? "8080") else { return TollgateCommand.usageError("--port must be 0 to 65535") }
        let directory = options["data"] ?? "data"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            printError("tollgate: error: cannot create \(directory): \(error.localizedDescription)")
            return 1
        }
        let rulesPath = options["rules"] ?? "rules/default.rules"
        guard let ruleSet = ScoreCommand.compile(rulesPath, lists: .withRuntimeLists) else { return 1 }
        let environment = ProcessInfo.processInfo.environment
        let vaultKey: [UInt8], fingerprintKey: [UInt8]
        do {
            vaultKey = try KeyMaterial.load(environment: environment["TOLLGATE_VAULT_KEY"],
                                            path: (directory as NSString).appendingPathComponent("vault.key"), bytes: 32)
            fingerprintKey = try KeyMaterial.load(environment: environment["TOLLGATE_CARD_FINGERPRINT_KEY"],
                                                  path: (directory as NSString).appendingPathComponent("card-fingerprint.key"), bytes: 32)
        } catch {
            printError("tollgate: error: \(error)")
            return 1
        }
        let database: GatewayDatabase = options["database"].map { .postgres(url: $0) } ?? .sqlite(path: DataDirectory.databasePath(directory))
        let ledger: Ledger
        do {
            switch database {
            case .sqlite(let path): ledger = try Ledger.openSQLite(path: path)
            case .postgres(let url): ledger = try Ledger.openPostgres(url: url)
            }
        } catch {
            printError("tollgate: error: cannot open the ledger in \(database): \(error)")
            return 1
        }
        var configuration = Gateway.Configuration(
            database: database, ledger: ledger, ruleSet: ruleSet, vaultKey: vaultKey, cardFingerprintKey: fingerprintKey,
            redisURL: options["redis"], adminKey: environment["TOLLGATE_ADMIN_KEY"])
        configuration.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        configuration.ruleSource = (try? String(contentsOfFile: rulesPath, encoding: .utf8)) ?? ""
        let gateway: Gateway
        let server: HTTPServer
        do {
            gateway = try Gateway(configuration)
            var limits = HTTPLimits()
            if let threads = ProcessInfo.processInfo.environment["TOLLGATE_HTTP_THREADS"].flatMap(Int.init), (1...256).contains(threads) {
                limits.threadCount = threads
            }
            server = try HTTPServer(host: options["host"] ?? "127.0.0.1", port: port, limits: limits,
                                    waits: { gateway.waitsForLedger($0) }, handler: { gateway.handle($0) })
        } catch {
            printError("tollgate: error: \(error)")
            return 1
        }
        if let key = gateway.createdAdminKey {
            print("admin key (shown once, keep it): \(key)")
        }
        print("listening on http://\(server.host):\(server.port)")
        fflush(nil)
        configuration.log("{\"level\":\"info\",\"message\":\"listening\",\"host\":\"\(server.host)\",\"port\":\(server.port),\"ruleset\":\"\(ruleSet.hash)\"}")
        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        configuration.log("{\"level\":\"info\",\"message\":\"stopping: finishing requests in flight\"}")
        server.stop(graceSeconds: 10)
        gateway.close()
        ledger.close()
        configuration.log("{\"level\":\"info\",\"message\":\"stopped\"}")
        return 0
    }
}
