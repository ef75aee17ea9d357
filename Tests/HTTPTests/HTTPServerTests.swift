import Foundation
import HTTP
import Synchronization
import Testing

/// The server through a real socket on 127.0.0.1, and the router in-process.
@Suite("HTTP server")
struct HTTPServerTests {
    /// Answers with what it received, as JSON.
    static let echo: HTTPHandler = { request in
        .json(200, ["method": request.method, "path": request.path, "query": request.query,
                    "bodyBytes": request.body.count, "probe": request.header("X-Probe") ?? ""])
    }

    static func start(limits: HTTPLimits = HTTPLimits(), handler: @escaping HTTPHandler = echo) throws -> HTTPServer {
        try HTTPServer(host: "127.0.0.1", port: 0, limits: limits, handler: handler)
    }

    static func object(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func requestsOnOneKeepAliveConnection() throws {
        let server = try Self.start()
        defer { server.stop() }
        #expect(server.port > 0)
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET /v1/things?limit=5&starting_after=x%20y HTTP/1.1\r\nHost: t\r\nX-Probe: one\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.status == 200)
        #expect(first.headers["request-id"]?.hasPrefix("req_") == true)
        let object = Self.object(first.body)
        #expect(object["path"] as? String == "/v1/things")
        #expect(object["query"] as? [String: String] == ["limit": "5", "starting_after": "x y"])
        #expect(object["probe"] as? String == "one")
        let body = String(repeating: "x", count: 10_000)
        try client.send("POST /v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let second = try client.readResponse()
        #expect(second.status == 200)
        #expect(Self.object(second.body)["bodyBytes"] as? Int == 10_000)
        #expect(second.headers["request-id"] != first.headers["request-id"])
    }

    @Test func bodiesOverTheLimitAre413() throws {
        var limits = HTTPLimits()
        limits.bodyBytesMax = 1_000
        let server = try Self.start(limits: limits)
        defer { server.stop() }
        // Announced too large: refused before the body is read.
        let announced = try RawHTTPClient(port: server.port)
        try announced.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
        let refused = try announced.readResponse()
        #expect(refused.status == 413)
        let error = Self.object(refused.body)["error"] as? [String: Any]
        #expect(error?["type"] as? String == "invalid_request_error")
        #expect(error?["code"] as? String == "body_too_large")
        // Chunked, no length: refused once it grows past the limit.
        let chunked = try RawHTTPClient(port: server.port)
        let chunk = String(repeating: "y", count: 600)
        try chunked.send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
        #expect(try chunked.readResponse().status == 413)
        // Exactly at the limit is fine.
        let exact = try RawHTTPClient(port: server.port)
        try exact.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "z", count: 1_000))
        #expect(try exact.readResponse().status == 200)
    }

    @Test func headersOverTheLimitAreRefused() throws {
        var limits = HTTPLimits()
        limits.headerBytesMax = 8 << 10
        let server = try Self.start(limits: limits)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "h", count: 16 << 10))\r\n\r\n")
        let response = try client.readResponse()
        #expect((400..<500).contains(response.status), "status \(response.status)")
        // The server is still fine afterwards.
        let next = try RawHTTPClient(port: server.port)
        try next.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try next.readResponse().status == 200)
    }

    @Test func malformedRequestsGet400NotACrash() throws {
        let server = try Self.start()
        defer { server.stop() }
        for garbage in ["NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nNo-Colon-Header\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n"] {
            // A request line that never ends is left to the idle timeout: the client gives up after 2 s.
            let client = try RawHTTPClient(port: server.port, timeoutSeconds: 2)
            try client.send(garbage)
            if let response = try? client.readResponse() {
                #expect((400..<600).contains(response.status), "\(garbage.debugDescription) → \(response.status)")
            }
        }
        let healthy = try RawHTTPClient(port: server.port)
        try healthy.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try healthy.readResponse().status == 200)
    }

    @Test func manyClientsAtOnce() throws {
        let server = try Self.start()
        defer { server.stop() }
        let ok = Atomic<Int>(0)
        let port = server.port
        let threads = 16, requestsEach = 50
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            guard let client = try? RawHTTPClient(port: port) else { return }
            for index in 0..<requestsEach {
                let body = "{\"thread\": \(thread), \"index\": \(index)}"
                guard (try? client.send("POST /many HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")) != nil,
                      let response = try? client.readResponse(), response.status == 200,
                      Self.object(response.body)["bodyBytes"] as? Int == body.utf8.count else { return }
                ok.add(1, ordering: .relaxed)
            }
        }
        #expect(ok.load(ordering: .relaxed) == threads * requestsEach)
    }

    @Test func stopLetsTheRequestInFlightFinish() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let server = try Self.start { _ in
            entered.signal()
            release.wait()
            return .json(200, ["done": true])
        }
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        entered.wait()
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop(graceSeconds: 10)
            stopped.signal()
        }
        usleep(100_000)
        #expect(stopped.wait(timeout: .now()) == .timedOut, "stop waits for the request in flight")
        release.signal()
        #expect(try client.readResponse().status == 200)
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(throws: (any Error).self) { _ = try RawHTTPClient(port: server.port).send("GET / HTTP/1.1\r\n\r\n") ; throw RawHTTPClient.ClientError(description: "connected") }
    }
}

/// Requests marked as waiting run on the server's waiting workers with their
/// connection suspended: the serving threads go on with other requests.
@Suite("HTTP server: waiting requests")
struct HTTPWaitingTests {
    @Test func aWaitingRequestDoesNotHoldTheServingThread() throws {
        var limits = HTTPLimits()
        limits.threadCount = 1
        limits.waitingThreadCount = 4
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let server = try HTTPServer(host: "127.0.0.1", port: 0, limits: limits, waits: { $0.path.hasPrefix("/slow") }) { request in
            if request.path.hasPrefix("/slow") {
                entered.signal()
                release.wait()
                return .json(200, ["slow": .string(request.path), "bodyBytes": .integer(Int64(request.body.count))])
            }
            return .json(200, ["fast": true])
        }
        // Two slow requests wait at once (one with a body), on one serving thread.
        let slow = try (0..<2).map { _ in try RawHTTPClient(port: server.port) }
        try slow[0].send("GET /slow/0 HTTP/1.1\r\nHost: t\r\n\r\n")
        try slow[1].send("POST /slow/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        entered.wait()
        entered.wait()
        // Answered while both still wait: the serving thread is free.
        let fast = try RawHTTPClient(port: server.port)
        try fast.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try fast.readResponse().status == 200)
        // Stop waits for the suspended requests.
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop(graceSeconds: 10)
            stopped.signal()
        }
        usleep(100_000)
        #expect(stopped.wait(timeout: .now()) == .timedOut, "stop waits for the waiting requests")
        release.signal()
        release.signal()
        let answers = try slow.map { try $0.readResponse() }
        #expect(answers.map(\.status) == [200, 200])
        #expect(HTTPServerTests.object(answers[0].body)["slow"] as? String == "/slow/0")
        #expect(HTTPServerTests.object(answers[1].body)["bodyBytes"] as? Int == 5)
        #expect(answers[0].headers["request-id"]?.hasPrefix("req_") == true)
        #expect(stopped.wait(timeout: .now() + 10) == .success)
    }
}

@Suite("Router")
struct RouterTests {
    static var router: Router {
        var router = Router()
        router.add("GET", "/v1/charges/{id}") { _, parameters in .json(200, ["id": parameters["id"]!]) }
        router.add("POST", "/v1/charges/{id}/capture") { _, parameters in .json(200, ["captured": parameters["id"]!]) }
        router.add("GET", "/healthz") { _, _ in .text(200, "ok\n") }
        return router
    }

    @Test func matchesMethodsAndParameters() {
        let router = Self.router
        #expect(router.handle(HTTPRequest(method: "GET", path: "/v1/charges/ch_1")).bodyText == "{\"id\":\"ch_1\"}")
        #expect(router.handle(HTTPRequest(method: "GET", path: "/v1/charges/ch%201/")).bodyText == "{\"id\":\"ch 1\"}")
        #expect(router.handle(HTTPRequest(method: "POST", path: "/v1/charges/ch_1/capture")).status == 200)
        let wrongMethod = router.handle(HTTPRequest(method: "DELETE", path: "/v1/charges/ch_1"))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET")
        let missing = router.handle(HTTPRequest(method: "GET", path: "/v1/nothing"))
        #expect(missing.status == 404)
        #expect(missing.bodyText.contains("\"type\":\"invalid_request_error\""))
        #expect(router.pattern(for: HTTPRequest(method: "POST", path: "/v1/charges/x/capture")) == "/v1/charges/{id}/capture")
        #expect(router.routes.count == 3)
    }
}
