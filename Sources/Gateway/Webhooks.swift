import COpenSSL
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTP
import Store

/// `POST /v1/webhook_endpoints` and the worker that delivers events to them:
/// signed (`Tollgate-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`),
/// at least once, retried with exponential backoff until `giveUpSeconds`
/// after the event (3 days by default). Deliveries are queued in the same
/// transaction as their event (an outbox), so none is lost to a crash.
final class Webhooks: @unchecked Sendable {
    static let eventTypes: Set<String> = [
        "charge.succeeded", "charge.authorized", "charge.captured", "charge.refunded", "charge.canceled", "charge.failed",
        "charge.review.opened", "charge.review.closed", "charge.requires_action", "charge.dispute.created",
    ]

    struct Settings: Sendable {
        /// First retry after this; each next one waits twice as long (capped at 6 hours).
        var retryBaseSeconds = 10.0
        var giveUpSeconds: Int64 = 3 * 86_400
        var pollSeconds = 0.25
        var timeoutSeconds = 10.0
    }

    let store: GatewayStore
    let settings: Settings
    let clockMilliseconds: @Sendable () -> Int64
    let metrics: GatewayMetrics
    private var worker: PeriodicTask?
    /// Its own session: enough connections per host for a whole round at once, no cookies or cache.
    private let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    init(store: GatewayStore, settings: Settings, metrics: GatewayMetrics, clockMilliseconds: @escaping @Sendable () -> Int64) {
        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.clockMilliseconds = clockMilliseconds
    }

    // MARK: endpoints

    func createEndpoint(_ body: JSONBody, merchant: Merchant, mode: String, now: Int64) throws(APIError) -> JSONValue {
        try body.onlyKnown(["url", "events"])
        let url = try body.string("url", required: true, maxLength: 2_000)!
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
            throw APIError.invalid("url", "'url' must be an http or https URL")
        }
        guard let events = body.object["events"] as? [String], !events.isEmpty, events.count <= 50 else {
            throw APIError.invalid("events", "'events' must be a list of event types, or [\"*\"] for all")
        }
        for event in events where event != "*" && !Self.eventTypes.contains(event) {
            throw APIError.invalid("events", "'\(event)' is not an event type; known: \(Self.eventTypes.sorted().joined(separator: ", "))")
        }
        let id = Secrets.token(prefix: "we_")
        let secret = Secrets.token(prefix: "whsec_", length: 32)
        let list = events.contains("*") ? ",*," : "," + Set(events).sorted().joined(separator: ",") + ","
        do {
            try store.withConnection { connection in
                let insert = try connection.statement("""
                    INSERT INTO webhook_endpoints(id, merchant_id, mode, url, events, secret, created) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                try insert.bind(1, id)
                try insert.bind(2, merchant.id)
                try insert.bind(3, mode)
                try insert.bind(4, url)
                try insert.bind(5, list)
                try insert.bind(6, secret)
                try insert.bind(7, now)
                _ = try insert.step()
            }
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the endpoint could not be stored")
        }
        return ["id": .string(id), "object": "webhook_endpoint", "url": .string(url),
                "events": .array(events.map { .string($0) }), "secret": .string(secret), "created": .integer(now),
                "livemode": .bool(mode == "live")]
    }

    // MARK: signing

    /// `t=TIMESTAMP,v1=HEX` with HEX = HMAC-SHA256(secret, "TIMESTAMP.BODY").
    static func signature(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        let message = Array("\(timestamp).".utf8) + body
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let key = Array(secret.utf8)
        _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &mac, &length)
        return "t=\(timestamp),v1=\(KeyMaterial.hex(Array(mac.prefix(Int(length)))))"
    }

    // MARK: delivery

    func start() {
        worker = PeriodicTask(name: "webhooks", intervalSeconds: settings.pollSeconds) { [self] in deliverDue() }
    }

    /// Stops the worker after its current round, then the session (no transfer left running at exit).
    func stop() {
        worker?.stop()
        session.invalidateAndCancel()
    }

    struct Due {
        let eventID: String
        let endpointID: String
        let eventCreated: Int64
        let attempts: Int64
        let url: String
        let secret: String
        let body: String
    }

    /// Delivers what is due now; returns how many attempts were made.
    @discardableResult
    func deliverDue(limit: Int = 50) -> Int {
        let nowMilliseconds = clockMilliseconds()
        let due: [Due] = (try? store.withConnection { connection in
            let select = try connection.statement("""
                SELECT d.event_id, d.endpoint_id, d.event_created, d.attempts, w.url, w.secret, e.data_json
                FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_id
                WHERE d.delivered_ms IS NULL AND d.given_up = 0 AND d.next_attempt_ms <= ?
                ORDER BY d.next_attempt_ms LIMIT ?
                """)
            try select.bind(1, nowMilliseconds)
            try select.bind(2, Int64(limit))
            var rows: [Due] = []
            while try select.step() {
                rows.append(Due(eventID: select.text(0) ?? "", endpointID: select.text(1) ?? "", eventCreated: select.int64(2),
                                attempts: select.int64(3), url: select.text(4) ?? "", secret: select.text(5) ?? "", body: select.text(6) ?? "{}"))
            }
            return rows
        }) ?? []
        // All of a round at once, so one slow endpoint (up to the timeout) does not hold up the others.
        let statuses = postAll(due, timestamp: nowMilliseconds / 1_000)
        for (delivery, status) in zip(due, statuses) {
            let attempts = delivery.attempts + 1
            let succeeded = (200..<300).contains(status)
            let backoffSeconds = min(settings.retryBaseSeconds * pow(2, Double(attempts - 1)), 6 * 3_600)
            let next = nowMilliseconds + Int64(backoffSeconds * 1_000)
            let givenUp = !succeeded && next / 1_000 - delivery.eventCreated > settings.giveUpSeconds
            metrics.countWebhook(succeeded ? "delivered" : givenUp ? "given_up" : "retry")
            try? store.withConnection { connection in
                let update = try connection.statement("""
                    UPDATE webhook_deliveries SET attempts = ?, last_status = ?, delivered_ms = ?, next_attempt_ms = ?, given_up = ?
                    WHERE event_id = ? AND endpoint_id = ?
                    """)
                try update.bind(1, attempts)
                try update.bind(2, Int64(status))
                if succeeded { try update.bind(3, nowMilliseconds) } else { try update.bindNull(3) }
                try update.bind(4, next)
                try update.bind(5, givenUp ? 1 : 0)
                try update.bind(6, delivery.eventID)
                try update.bind(7, delivery.endpointID)
                _ = try update.step()
            }
        }
        return due.count
    }

    /// Posts every delivery concurrently; the HTTP status each endpoint answered (0 when it could not be reached).
    private func postAll(_ deliveries: [Due], timestamp: Int64) -> [Int] {
        let statuses = (0..<deliveries.count).map { _ in StatusBox() }
        let group = DispatchGroup()
        for (delivery, status) in zip(deliveries, statuses) {
            guard let request = request(delivery, timestamp: timestamp) else { continue }
            group.enter()
            session.dataTask(with: request) { _, response, _ in
                status.value = (response as? HTTPURLResponse)?.statusCode ?? 0
                group.leave()
            }.resume()
        }
        group.wait()
        return statuses.map(\.value)
    }

    private func request(_ delivery: Due, timestamp: Int64) -> URLRequest? {
        guard let url = URL(string: delivery.url) else { return nil }
        var request = URLRequest(url: url, timeoutInterval: settings.timeoutSeconds)
        request.httpMethod = "POST"
        let body = Array(delivery.body.utf8)
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(Self.signature(secret: delivery.secret, timestamp: timestamp, body: body), forHTTPHeaderField: "Tollgate-Signature")
        request.setValue(delivery.eventID, forHTTPHeaderField: "Tollgate-Event-Id")
        return request
    }

    private final class StatusBox: @unchecked Sendable {
        var value = 0
    }
}
