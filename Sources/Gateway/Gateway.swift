import Fingerprints
import Ledger
import Foundation
import HTTP
import Risk
import Rules
import Synchronization

/// The HTTP API of CONTRACT as a router plus what every request goes
/// through: authentication, one JSON log line, metrics. Callable in-process
/// (`handle`), and served by `HTTPServer` in `tollgate serve`.
public final class Gateway: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Where the gateway's tables are: the ledger's database (SQLite `DIR/tollgate.db` or PostgreSQL).
        public var database: GatewayDatabase
        public var ruleSet: RuleSet
        /// The text of `ruleSet`'s file (what `GET /v1/rules` shows a merchant without a file of its own).
        public var ruleSource = ""
        /// Redis for counters (`redis://…`); nil keeps them in memory.
        public var redisURL: String?
        /// The admin key given by the environment (`TOLLGATE_ADMIN_KEY`); nil: made on first start.
        public var adminKey: String?
        /// The ledger in the same database (`Ledger.openSQLite(path:)` / `openPostgres(url:)`).
        public var ledger: Ledger
        /// AES-256-GCM key of the card vault (32 bytes).
        public var vaultKey: [UInt8]
        /// HMAC key of card fingerprints (at least 32 bytes).
        public var cardFingerprintKey: [UInt8]
        public var clock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
        /// Webhook retries: the first after this many seconds, doubling (tests shorten it).
        public var webhookRetryBaseSeconds = 10.0
        /// Deliver webhooks from a background thread (tests may drive `deliverWebhooks()` instead).
        public var webhookWorker = true
        /// How long a stored Idempotency-Key answer is kept (CONTRACT: at least 24 hours).
        public var idempotencyRetentionSeconds: Int64 = 7 * 86_400
        /// Where the JSON log lines go (stderr in `serve`).
        public var log: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }

        public init(database: GatewayDatabase, ledger: Ledger, ruleSet: RuleSet, vaultKey: [UInt8], cardFingerprintKey: [UInt8],
                    redisURL: String? = nil, adminKey: String? = nil) {
            self.database = database
            self.ledger = ledger
            self.ruleSet = ruleSet
            self.vaultKey = vaultKey
            self.cardFingerprintKey = cardFingerprintKey
            self.redisURL = redisURL
            self.adminKey = adminKey
        }
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public let configuration: Configuration
    public let metrics = GatewayMetrics()
    /// Set when this start created the admin key: print it once, it is not stored.
    public private(set) var createdAdminKey: String?
    public private(set) var router = Router()
    let store: GatewayStore
    private let adminKeyHash: String
    private let decisions: DecisionService
    private let paymentMethods: PaymentMethodService
    private let charges: ChargeService
    private let webhooks: Webhooks
    private let merchantRules: MerchantRules
    private let merchantLists: MerchantLists
    /// Idempotency keys of requests running now ("merchant|mode|key").
    private let keysInFlight = Mutex<Set<String>>([])
    private let decisionLog: DecisionLog
    /// Deletes expired idempotency records every 10 minutes (nil when the webhook worker is off, as in tests).
    private var housekeeping: PeriodicTask?
    /// Key hash → merchant and mode, so a request costs no database read to authenticate.
    private let keyCache = Mutex<[String: (Merchant, String)]>([:])

    public init(_ configuration: Configuration) throws(StartError) {
        self.configuration = configuration
        do {
            store = try GatewayStore(configuration.database)
        } catch {
            throw StartError(description: "cannot open \(configuration.database): \(error)")
        }
        do {
            if let given = configuration.adminKey {
                guard given.utf8.count >= 20 else { throw StartError(description: "TOLLGATE_ADMIN_KEY must be at least 20 characters") }
                adminKeyHash = Secrets.sha256Hex(given)
            } else if let stored = try store.setting("admin_key_hash") {
                adminKeyHash = stored
            } else {
                let key = Secrets.token(prefix: "adm_", length: 32)
                adminKeyHash = try store.settingIfAbsent("admin_key_hash", Secrets.sha256Hex(key))
                if adminKeyHash == Secrets.sha256Hex(key) { createdAdminKey = key }
            }
        } catch let error as StartError {
            throw error
        } catch {
            throw StartError(description: "cannot read the gateway settings: \(error)")
        }
        var counters: [String: CounterStore] = [:]
        for mode in ["test", "live"] {
            if let url = configuration.redisURL {
                do {
                    counters[mode] = try RedisCounterStore(url: url, keyPrefix: "tg-\(mode)")
                } catch {
                    throw StartError(description: "cannot use Redis at \(url): \(error)")
                }
            } else {
                counters[mode] = InMemoryCounterStore()
            }
        }
        do {
            // Its own connection: batch commits never hold up the reads of requests.
            decisionLog = DecisionLog(store: try GatewayStore(configuration.database))
        } catch {
            throw StartError(description: "cannot open \(configuration.database): \(error)")
        }
        decisions = DecisionService(ruleSet: configuration.ruleSet, counters: counters, store: store, log: decisionLog,
                                    geoIP: try? GeoIPCountry(), metrics: metrics)
        do {
            let vault = try CardVault(key: configuration.vaultKey)
            paymentMethods = PaymentMethodService(store: store, vault: vault,
                                                  fingerprinter: try CardFingerprinter(key: configuration.cardFingerprintKey))
            charges = ChargeService(store: store, accounts: LedgerAccounts(ledger: configuration.ledger), decisions: decisions, vault: vault)
        } catch {
            throw StartError(description: "\(error)")
        }
        merchantRules = MerchantRules(store: store, defaultRuleSet: configuration.ruleSet, defaultSource: configuration.ruleSource)
        decisions.merchantRules = merchantRules
        merchantLists = MerchantLists(store: store)
        decisions.merchantLists = merchantLists
        var webhookSettings = Webhooks.Settings()
        webhookSettings.retryBaseSeconds = configuration.webhookRetryBaseSeconds
        webhooks = Webhooks(store: store, settings: webhookSettings, metrics: metrics,
                            clockMilliseconds: { [clock = configuration.clock] in clock() * 1_000 })
        router = makeRouter()
        if configuration.webhookWorker {
            webhooks.start()
            housekeeping = PeriodicTask(name: "housekeeping", intervalSeconds: 600) { [weak self] in self?.expireIdempotencyKeys() }
        }
    }

    /// Deletes the Idempotency-Key records older than the retention; returns how many.
    /// After that, the key is new again.
    @discardableResult
    public func expireIdempotencyKeys() -> Int {
        let cutoff = configuration.clock() - configuration.idempotencyRetentionSeconds
        do {
            return try store.withConnection { connection in
                try connection.transaction {
                    let count = try connection.statement("SELECT COUNT(*) FROM idempotency_keys WHERE created < ?")
                    try count.bind(1, cutoff)
                    _ = try count.step()
                    let delete = try connection.statement("DELETE FROM idempotency_keys WHERE created < ?")
                    try delete.bind(1, cutoff)
                    try delete.step()
                    return Int(count.int64(0))
                }
            }
        } catch {
            configuration.log(JSONValue.object([("level", "error"), ("message", .string("idempotency records not expired: \(error)"))]).text)
            return 0
        }
    }

    /// Delivers the webhooks due now (the worker does this every 250 ms); returns the attempts made.
    @discardableResult
    public func deliverWebhooks() -> Int { webhooks.deliverDue() }

    /// Commits queued decisions (call before exit).
    public func close() {
        housekeeping?.stop()
        webhooks.stop()
        decisionLog.stop()
    }

    /// Requests that wait for a ledger commit (charges and their transitions,
    /// refunds): the server answers them from its waiting workers, so the group
    /// commit can batch many while the serving threads go on with the rest.
    public func waitsForLedger(_ request: HTTPRequest) -> Bool {
        request.method == "POST" && (request.path.hasPrefix("/v1/charges") || request.path.hasPrefix("/v1/refunds"))
    }

    /// Every request: route, authenticate inside the route, log one line, count it.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let route = router.pattern(for: request) ?? "unmatched"
        // The server adds the Request-Id header to every answer, its own rejections included.
        let response = router.handle(request)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        metrics.observe(route: route, status: response.status, seconds: seconds)
        let line: JSONValue = [
            "time": .integer(configuration.clock()), "level": .string(response.status >= 500 ? "error" : "info"),
            "request_id": .string(request.requestID), "method": .string(request.method), "route": .string(route),
            "status": .integer(Int64(response.status)), "duration_ms": .number((seconds * 1e5).rounded() / 100),
        ]
        configuration.log(line.text)
        return response
    }

    // MARK: routes

    private func makeRouter() -> Router {
        var router = Router()
        router.add("GET", "/healthz") { _, _ in .json(200, JSONValue.object([("status", "ok")])) }
        router.add("GET", "/metrics") { [metrics, ledger = configuration.ledger] _, _ in
            .text(200, metrics.render(ledger: ledger.writerMetrics), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.add("GET", "/v1/openapi.json") { _, _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(OpenAPIDocument.json.utf8))
        }
        router.add("POST", "/v1/merchants") { [self] request, _ in
            respond(request, admin: true) { (_: Caller, now: Int64) throws(APIError) -> (Int, JSONValue) in
                (201, try MerchantService(store: store).create(try JSONBody(request.body), now: now))
            }
        }
        router.add("GET", "/v1/merchants/{id}") { [self] request, parameters in
            respond(request, admin: true) { (_: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                let id = parameters["id"]!
                guard let merchant = try? store.merchant(id: id) else { throw APIError.notFound("merchant", id) }
                return (200, merchant.json)
            }
        }
        router.add("POST", "/v1/payment_methods") { [self] request, _ in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                saved(.json(201, try paymentMethods.create(try JSONBody(request.body), merchant: merchant, mode: mode, now: now)), record, now)
            }
        }
        router.add("POST", "/v1/charges") { [self] request, _ in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                try charges.create(try JSONBody(request.body), merchant: merchant, mode: mode, idempotency: record, now: now)
            }
        }
        router.add("GET", "/v1/charges/{id}") { [self] request, parameters in
            respond(request) { (caller: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                let id = parameters["id"]!
                guard let charge = try? store.withConnection({ try ChargeRows.charge(id: id, merchantID: merchant.id, mode: mode, on: $0) }) else {
                    throw APIError.notFound("charge", id)
                }
                return (200, charge.json)
            }
        }
        router.add("GET", "/v1/charges") { [self] request, _ in
            respond(request) { (caller: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                let (limit, after) = try Self.page(request)
                let status = request.query["status"]
                if let status, !["requires_review", "requires_action", "requires_capture", "succeeded", "declined", "canceled"].contains(status) {
                    throw APIError.invalid("status", "'status' is not a charge status")
                }
                guard let rows = try? store.withConnection({
                    try ChargeRows.charges(merchantID: merchant.id, mode: mode, status: status, limit: limit + 1, after: after, on: $0)
                }) else { throw APIError(500, type: "api_error", code: "storage_failed", "the charges could not be read") }
                return (200, Self.list(rows.prefix(limit).map(\.json), hasMore: rows.count > limit))
            }
        }
        for (action, pattern) in [("capture", "/v1/charges/{id}/capture"), ("cancel", "/v1/charges/{id}/cancel"),
                                  ("approve", "/v1/charges/{id}/approve"), ("reject", "/v1/charges/{id}/reject")] {
            router.add("POST", pattern) { [self] request, parameters in
                idempotent(request) { merchant, mode, record, now throws(APIError) in
                    let id = parameters["id"]!
                    switch action {
                    case "capture":
                        let body = request.body.isEmpty ? JSONBody(object: [:], path: "") : try JSONBody(request.body)
                        return try charges.capture(id, body: body, merchant: merchant, mode: mode, idempotency: record, now: now)
                    case "cancel": return try charges.cancel(id, merchant: merchant, mode: mode, idempotency: record, now: now)
                    case "approve": return try charges.approve(id, merchant: merchant, mode: mode, idempotency: record, now: now)
                    default: return try charges.cancel(id, merchant: merchant, mode: mode, idempotency: record, now: now, rejecting: true)
                    }
                }
            }
        }
        router.add("POST", "/v1/refunds") { [self] request, _ in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                try charges.refund(try JSONBody(request.body), merchant: merchant, mode: mode, idempotency: record, now: now)
            }
        }
        router.add("GET", "/v1/refunds/{id}") { [self] request, parameters in
            respond(request) { (caller: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                let id = parameters["id"]!
                guard let refund = try? store.withConnection({ try ChargeRows.refund(id: id, merchantID: merchant.id, mode: mode, on: $0) }) else {
                    throw APIError.notFound("refund", id)
                }
                return (200, refund.json)
            }
        }
        router.add("GET", "/v1/balance") { [self] request, _ in
            respond(request) { (caller: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                return (200, try balance(merchant: merchant, mode: mode))
            }
        }
        router.add("GET", "/v1/events") { [self] request, _ in
            respond(request) { (caller: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                let (limit, after) = try Self.page(request)
                guard let texts = try? store.withConnection({
                    try ChargeRows.events(merchantID: merchant.id, mode: mode, limit: limit + 1, after: after, on: $0)
                }) else { throw APIError(500, type: "api_error", code: "storage_failed", "the events could not be read") }
                return (200, Self.list(texts.prefix(limit).map { JSONValue.raw($0) }, hasMore: texts.count > limit))
            }
        }
        router.add("GET", "/v1/rules") { [self] request, _ in
            do throws(APIError) {
                guard case .merchant(let merchant, let mode) = try authenticate(request) else { throw APIError.merchantOnly }
                let current = merchantRules.source(merchantID: merchant.id, mode: mode)
                var response = HTTPResponse.text(200, current.text)
                response.headers += [("Tollgate-Ruleset-Version", String(current.version)), ("Tollgate-Ruleset-Hash", current.hash)]
                return response
            } catch {
                return error.response
            }
        }
        router.add("PUT", "/v1/rules") { [self] request, _ in
            respond(request) { (caller: Caller, now: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                let shadow: Bool
                switch request.query["mode"] {
                case nil, "active": shadow = false
                case "shadow": shadow = true
                default: throw APIError.invalid("mode", "'mode' is active or shadow")
                }
                guard let text = String(validating: request.body, as: UTF8.self) else {
                    throw APIError(400, code: "invalid_text", "the rule file is not valid UTF-8")
                }
                return (200, try merchantRules.put(text, shadow: shadow, merchantID: merchant.id, mode: mode, now: now))
            }
        }
        router.add("POST", "/v1/lists/{name}/items") { [self] request, parameters in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                let (status, item) = try merchantLists.add(try JSONBody(request.body), list: parameters["name"]!,
                                                           merchantID: merchant.id, mode: mode, now: now)
                return saved(.json(status, item), record, now)
            }
        }
        router.add("DELETE", "/v1/lists/{name}/items/{value}") { [self] request, parameters in
            respond(request) { (caller: Caller, now: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                return (200, try merchantLists.remove(parameters["value"]!, list: parameters["name"]!,
                                                      merchantID: merchant.id, mode: mode, now: now))
            }
        }
        router.add("GET", "/v1/lists/{name}") { [self] request, parameters in
            respond(request) { (caller: Caller, _: Int64) throws(APIError) -> (Int, JSONValue) in
                guard case .merchant(let merchant, let mode) = caller else { throw APIError.merchantOnly }
                let (limit, after) = try Self.page(request)
                return (200, try merchantLists.page(list: parameters["name"]!, merchantID: merchant.id, mode: mode, limit: limit, after: after))
            }
        }
        router.add("POST", "/v1/webhook_endpoints") { [self] request, _ in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                saved(.json(201, try webhooks.createEndpoint(try JSONBody(request.body), merchant: merchant, mode: mode, now: now)), record, now)
            }
        }
        router.add("POST", "/v1/decisions") { [self] request, _ in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                saved(.json(201, try decisions.decide(try JSONBody(request.body), merchant: merchant, mode: mode, now: now)), record, now)
            }
        }
        router.add("POST", "/v1/decisions/{id}/outcome") { [self] request, parameters in
            idempotent(request) { merchant, mode, record, now throws(APIError) in
                saved(.json(200, try decisions.reportOutcome(try JSONBody(request.body), decisionID: parameters["id"]!,
                                                             merchant: merchant, mode: mode, now: now)), record, now)
            }
        }
        return router
    }

    /// Authenticates, runs `body`, and turns what it returns or throws into a response.
    private func respond(_ request: HTTPRequest, admin: Bool = false,
                         _ body: (Caller, Int64) throws(APIError) -> (Int, JSONValue)) -> HTTPResponse {
        do throws(APIError) {
            let caller = try authenticate(request)
            switch (admin, caller) {
            case (true, .merchant): throw APIError(401, type: "authentication_error", code: "admin_key_required",
                                                   "this endpoint needs the platform admin key")
            default: break
            }
            let (status, object) = try body(caller, configuration.clock())
            return .json(status, object)
        } catch {
            return error.response
        }
    }

    static func page(_ request: HTTPRequest) throws(APIError) -> (limit: Int, after: String?) {
        var limit = 10
        if let text = request.query["limit"] {
            guard let value = Int(text), (1...100).contains(value) else { throw APIError.invalid("limit", "'limit' must be 1 to 100") }
            limit = value
        }
        return (limit, request.query["starting_after"])
    }

    static func list(_ items: [JSONValue], hasMore: Bool) -> JSONValue {
        ["object": "list", "data": .array(items), "has_more": .bool(hasMore)]
    }

    /// Available and pending money per currency, from the merchant's ledger accounts.
    private func balance(merchant: Merchant, mode: String) throws(APIError) -> JSONValue {
        guard let currencies = try? store.withConnection({ try ChargeRows.currencies(merchantID: merchant.id, mode: mode, on: $0) }) else {
            throw APIError(500, type: "api_error", code: "storage_failed", "the balance could not be read")
        }
        var available: [JSONValue] = [], pending: [JSONValue] = []
        for currency in currencies {
            let availableAccount = try? configuration.ledger.account(id: LedgerAccounts.merchantAvailable(merchant.id, mode, currency))
            let pendingAccount = try? configuration.ledger.account(id: LedgerAccounts.merchantPending(merchant.id, mode, currency))
            let availableAmount = availableAccount.flatMap { $0 }.map { $0.creditsPosted - $0.debitsPosted } ?? 0
            let pendingAmount = pendingAccount.flatMap { $0 }.map { $0.creditsPending - $0.debitsPending + $0.creditsPosted - $0.debitsPosted } ?? 0
            available.append(["amount": .integer(availableAmount), "currency": .string(currency)])
            pending.append(["amount": .integer(pendingAmount), "currency": .string(currency)])
        }
        return ["object": "balance", "available": .array(available), "pending": .array(pending), "livemode": .bool(mode == "live")]
    }

    /// A merchant's POST with CONTRACT's Idempotency-Key: a stored answer is
    /// replayed, a reused key with another body is 422, a key still running is
    /// 409. Handlers that change state save the answer in their own transaction;
    /// other successful answers are saved right after.
    private func idempotent(_ request: HTTPRequest,
                            _ body: (Merchant, String, IdempotencyRecord?, Int64) throws(APIError) -> HTTPResponse) -> HTTPResponse {
        do throws(APIError) {
            guard case .merchant(let merchant, let mode) = try authenticate(request) else { throw APIError.merchantOnly }
            let now = configuration.clock()
            guard let key = request.header("Idempotency-Key") else { return try body(merchant, mode, nil, now) }
            guard (1...255).contains(key.count) else {
                throw APIError(400, code: "idempotency_key_invalid", "an Idempotency-Key has 1 to 255 characters", param: "Idempotency-Key")
            }
            let hash = Secrets.sha256Hex(request.method + " " + request.path + "\n" + String(decoding: request.body, as: UTF8.self))
            let slot = "\(merchant.id)|\(mode)|\(key)"
            guard keysInFlight.withLock({ $0.insert(slot).inserted }) else {
                throw APIError(409, type: "idempotency_error", code: "idempotency_key_in_use",
                               "a request with this Idempotency-Key is still running; retry when it has finished")
            }
            defer { _ = keysInFlight.withLock { $0.remove(slot) } }
            if let stored = try? store.withConnection({ try ChargeRows.idempotency(merchantID: merchant.id, mode: mode, key: key, on: $0) }) {
                guard stored.hash == hash else {
                    throw APIError(422, type: "idempotency_error", code: "idempotency_key_reused",
                                   "this Idempotency-Key was used with a different request", param: "Idempotency-Key")
                }
                return HTTPResponse(status: stored.status, headers: [("Content-Type", "application/json"), ("Idempotent-Replayed", "true")],
                                    body: Array(stored.body.utf8))
            }
            return try body(merchant, mode, IdempotencyRecord(merchantID: merchant.id, mode: mode, key: key, requestHash: hash), now)
        } catch {
            return error.response
        }
    }

    /// Saves the answer under the request's Idempotency-Key (for endpoints whose
    /// work is not a ledger submission, right after it; charges save theirs in their transaction).
    private func saved(_ response: HTTPResponse, _ record: IdempotencyRecord?, _ now: Int64) -> HTTPResponse {
        guard let record else { return response }
        do {
            try store.withConnection { try ChargeRows.insertIdempotency(record, status: response.status, body: response.body, now: now, on: $0) }
        } catch {
            configuration.log(JSONValue.object([("level", "error"), ("message", .string("idempotency record not saved: \(error)"))]).text)
        }
        return response
    }

    func authenticate(_ request: HTTPRequest) throws(APIError) -> Caller {
        guard let header = request.header("Authorization") else { throw APIError.unauthenticated }
        guard header.hasPrefix("Bearer "), header.utf8.count < 300 else { throw APIError.unauthenticated }
        var key = Substring(header.dropFirst("Bearer ".count))
        while key.first == " " { key = key.dropFirst() }
        while key.last == " " { key = key.dropLast() }
        let hash = Secrets.sha256Hex(String(key))
        if Secrets.constantTimeEqual(hash, adminKeyHash) { return .admin }
        guard key.hasPrefix("sk_test_") || key.hasPrefix("sk_live_") else { throw APIError.invalidKey }
        if let (merchant, mode) = keyCache.withLock({ $0[hash] }) { return .merchant(merchant, mode: mode) }
        guard let (merchant, mode) = try? store.merchant(keyHash: hash) else { throw APIError.invalidKey }
        keyCache.withLock { $0[hash] = (merchant, mode) }
        return .merchant(merchant, mode: mode)
    }
}

extension APIError {
    static let merchantOnly = APIError(401, type: "authentication_error", code: "merchant_key_required",
                                       "this endpoint acts for a merchant: use its secret key, not the admin key")
}
