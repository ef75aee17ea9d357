import Foundation
import HTTP
import Testing
@testable import Gateway

/// Webhooks delivered to a real HTTP receiver on 127.0.0.1: signed, retried
/// with backoff, only the subscribed events, given up after three days.
@Suite("Webhooks")
struct WebhookTests {
    final class Receiver: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var requests: [HTTPRequest] = []
        var failuresLeft = 1
        var server: HTTPServer!

        init() throws {
            server = try HTTPServer(host: "127.0.0.1", port: 0) { [unowned self] request in
                lock.withLock {
                    requests.append(request)
                    if failuresLeft > 0 {
                        failuresLeft -= 1
                        return .text(500, "try later")
                    }
                    return .text(200, "ok")
                }
            }
        }

        var received: [HTTPRequest] { lock.withLock { requests } }
        var url: String { "http://127.0.0.1:\(server.port)/hook" }
    }

    /// HMAC-SHA256 by the openssl command, independent of the gateway's code.
    static func opensslHMAC(secret: String, message: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha256", "-hmac", secret, "-r"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(message))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix { $0 != " " })
    }

    @Test(arguments: GatewayBackend.allCases) func signedRetriedAndOnlyWhatWasAskedFor(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        let receiver = try Receiver()
        defer { receiver.server.stop() }
        let endpoint = shop.post("/v1/webhook_endpoints", #"{"url": "\#(receiver.url)", "events": ["charge.succeeded", "charge.refunded"]}"#)
        #expect(endpoint.status == 201, "\(endpoint.json)")
        let secret = try #require(endpoint.json["secret"] as? String)
        #expect(secret.hasPrefix("whsec_"))
        let pm = try shop.card()
        let authorized = try #require(shop.charge(#"{"amount": 2500, "payment_method": "\#(pm)", "capture": false}"#).json["id"] as? String)
        let chargeID = try #require(shop.charge(#"{"amount": 2500, "payment_method": "\#(pm)"}"#).json["id"] as? String)
        // First attempt fails (500): retried after the backoff, not before.
        #expect(shop.fixture.gateway.deliverWebhooks() == 1, "charge.authorized is not subscribed; charge.succeeded is")
        #expect(receiver.received.count == 1)
        #expect(shop.fixture.gateway.deliverWebhooks() == 0)
        shop.fixture.clock.advance(11)
        #expect(shop.fixture.gateway.deliverWebhooks() == 1)
        #expect(receiver.received.count == 2)
        #expect(shop.fixture.gateway.deliverWebhooks() == 0, "delivered once it answered 2xx")
        let delivery = receiver.received[1]
        let event = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])
        #expect(event["type"] as? String == "charge.succeeded")
        #expect(((event["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String == chargeID)
        #expect(event["sequence"] as? Int == 1)
        // The signature: t=TIMESTAMP,v1=HMAC-SHA256(secret, "TIMESTAMP.BODY").
        let header = try #require(delivery.header("Tollgate-Signature"))
        let parts = Dictionary(uniqueKeysWithValues: header.split(separator: ",").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv[1])
        })
        let timestamp = try #require(parts["t"])
        #expect(parts["v1"] == (try Self.opensslHMAC(secret: secret, message: Array("\(timestamp).".utf8) + delivery.body)))
        // A refund: its event follows, numbered after the charge's first.
        #expect(shop.post("/v1/refunds", #"{"charge": "\#(chargeID)", "amount": 500}"#).status == 201)
        #expect(shop.fixture.gateway.deliverWebhooks() == 1)
        let refunded = try #require(try JSONSerialization.jsonObject(with: Data(receiver.received[2].body)) as? [String: Any])
        #expect(refunded["type"] as? String == "charge.refunded")
        #expect(refunded["sequence"] as? Int == 2)
        _ = authorized
        let metrics = shop.fixture.gateway.handle(HTTPRequest(method: "GET", path: "/metrics")).bodyText
        #expect(metrics.contains("tollgate_webhook_deliveries_total{result=\"delivered\"} 2"))
        #expect(metrics.contains("tollgate_webhook_deliveries_total{result=\"retry\"} 1"))
    }

    @Test(arguments: GatewayBackend.allCases) func unreachableEndpointsAreGivenUpAfterThreeDays(backend: GatewayBackend) throws {
        guard let shop = try ChargeTests.Shop.on(backend) else { return }
        // A port nobody listens on.
        let endpoint = shop.post("/v1/webhook_endpoints", #"{"url": "http://127.0.0.1:9/hook", "events": ["*"]}"#)
        #expect(endpoint.status == 201)
        let pm = try shop.card()
        #expect(shop.charge(#"{"amount": 100, "payment_method": "\#(pm)"}"#).status == 201)
        var attempts = 0
        for _ in 0..<40 {
            attempts += shop.fixture.gateway.deliverWebhooks()
            shop.fixture.clock.advance(6 * 3_600)
        }
        #expect(attempts >= 5 && attempts <= 20, "backoff doubles up to 6 hours: \(attempts) attempts over 10 days")
        let metrics = shop.fixture.gateway.handle(HTTPRequest(method: "GET", path: "/metrics")).bodyText
        #expect(metrics.contains("tollgate_webhook_deliveries_total{result=\"given_up\"} 1"))
    }

    /// Two endpoints whose receivers each answer only once both requests have
    /// arrived (or fail after 5 s): delivered one after the other, the first
    /// would fail; delivered together, both succeed.
    @Test func oneRoundPostsToEveryEndpointAtOnce() throws {
        let shop = try ChargeTests.Shop()
        let arrived = NSCondition()
        nonisolated(unsafe) var count = 0
        // Two servers, so neither receiver's threads can hold up the other's.
        let servers = try (0..<2).map { _ in
            try HTTPServer(host: "127.0.0.1", port: 0) { _ in
                arrived.lock()
                defer { arrived.unlock() }
                count += 1
                arrived.broadcast()
                let deadline = Date(timeIntervalSinceNow: 5)
                while count < 2 { guard arrived.wait(until: deadline) else { return .text(500, "alone") } }
                return .text(200, "ok")
            }
        }
        defer { for server in servers { server.stop() } }
        for server in servers {
            #expect(shop.post("/v1/webhook_endpoints", #"{"url": "http://127.0.0.1:\#(server.port)/hook", "events": ["*"]}"#).status == 201)
        }
        let pm = try shop.card()
        #expect(shop.charge(#"{"amount": 100, "payment_method": "\#(pm)"}"#).status == 201)
        #expect(shop.fixture.gateway.deliverWebhooks() == 2)
        let metrics = shop.fixture.gateway.handle(HTTPRequest(method: "GET", path: "/metrics")).bodyText
        #expect(metrics.contains("tollgate_webhook_deliveries_total{result=\"delivered\"} 2"), "\(metrics)")
    }

    @Test("endpoint input errors", arguments: [
        (#"{"events": ["*"]}"#, "url"), (#"{"url": "ftp://x/y", "events": ["*"]}"#, "url"),
        (#"{"url": "http://127.0.0.1/hook"}"#, "events"), (#"{"url": "http://127.0.0.1/hook", "events": ["charge.exploded"]}"#, "events"),
        (#"{"url": "http://127.0.0.1/hook", "events": []}"#, "events"),
    ])
    func endpointErrors(body: String, param: String) throws {
        let shop = try ChargeTests.Shop()
        let answer = shop.post("/v1/webhook_endpoints", body)
        #expect(answer.status == 400)
        #expect((answer.json["error"] as? [String: Any])?["param"] as? String == param)
    }
}
