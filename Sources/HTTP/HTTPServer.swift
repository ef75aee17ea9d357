import CMicroHTTPD
import Foundation
import Synchronization

/// HTTP/1.1 on libmicrohttpd (keep-alive, epoll, a pool of threads). Reads
/// each request's body within the limits, calls the handler, sends its
/// response. `stop()` stops accepting, lets requests in flight finish, then
/// closes.
public final class HTTPServer: @unchecked Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// One request being received: its body so far, and whether it broke a limit.
    final class Exchange: @unchecked Sendable {
        let startedNanoseconds = DispatchTime.now().uptimeNanoseconds
        var body: [UInt8] = []
        var rejected: HTTPResponse?
        /// The answer a waiting worker made while the connection was suspended.
        var answered: (response: HTTPResponse, requestID: String)?
    }

    public let limits: HTTPLimits
    public let host: String
    private let handler: HTTPHandler
    /// Which requests wait on something slow: answered by `waitingWorkers` on a suspended connection.
    private let waits: (@Sendable (HTTPRequest) -> Bool)?
    private let waitingWorkers: WorkerPool?
    private var daemon: OpaquePointer?
    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// The port listened on (the real one when 0 was asked for).
    public private(set) var port: UInt16 = 0

    /// `waits` names the requests whose handler blocks on something slow (the
    /// gateway: those that wait for a ledger commit); nil runs every handler on the serving threads.
    public init(host: String = "127.0.0.1", port: UInt16, limits: HTTPLimits = HTTPLimits(),
                waits: (@Sendable (HTTPRequest) -> Bool)? = nil, handler: @escaping HTTPHandler) throws(StartError) {
        self.host = host
        self.limits = limits
        self.handler = handler
        self.waits = waits
        waitingWorkers = waits == nil ? nil : WorkerPool(name: "http-waiting", threadCount: max(1, limits.waitingThreadCount))
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let daemon = tollgate_mhd_start(
            host, port, HTTPServer.accessHandler, context, HTTPServer.completedHandler, context,
            UInt32(limits.threadCount), UInt32(limits.connectionsMax), UInt32(limits.idleSecondsMax), limits.headerBytesMax
        ) else {
            throw StartError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))")
        }
        self.daemon = daemon
        self.port = tollgate_mhd_bound_port(daemon)
    }

    deinit { stop() }

    /// Connections open now.
    public var connectionCount: Int { daemon.map { Int(tollgate_mhd_connection_count($0)) } ?? 0 }

    /// Stops accepting new requests, waits (up to `graceSeconds`) for those in flight, then closes.
    public func stop(graceSeconds: Double = 10) {
        guard let daemon else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        // No new connections from here on; open ones may finish their request.
        _ = MHD_quiesce_daemon(daemon)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(graceSeconds * 1e9)
        while inFlight.load(ordering: .sequentiallyConsistent) > 0 && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(5_000)
        }
        MHD_stop_daemon(daemon)
        self.daemon = nil
        waitingWorkers?.stop()
    }

    // MARK: libmicrohttpd callbacks

    private static let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, _, uploadData, uploadSize, state in
        let server = Unmanaged<HTTPServer>.fromOpaque(context!).takeUnretainedValue()
        return server.access(connection!, url: url, method: method, uploadData: uploadData, uploadSize: uploadSize!, state: state!)
    }

    private static let completedHandler: MHD_RequestCompletedCallback = { _, _, state, _ in
        guard let state, let pointer = state.pointee else { return }
        Unmanaged<Exchange>.fromOpaque(pointer).release()
        state.pointee = nil
    }

    private func access(_ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                        uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
                        state: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let pointer = state.pointee else {
            // First call: headers are in; the body (if any) follows.
            let exchange = Exchange()
            state.pointee = Unmanaged.passRetained(exchange).toOpaque()
            if stopping.load(ordering: .relaxed) {
                exchange.rejected = HTTPResponse.error(503, type: "api_error", code: "shutting_down",
                                                       message: "the server is shutting down; retry on another instance")
            } else if let length = header(connection, "Content-Length").flatMap(Int.init), length > limits.bodyBytesMax {
                return send(tooLarge(), on: connection, requestID: HTTPRequest.makeID())
            }
            return MHD_Result.YES
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(pointer).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let count = uploadSize.pointee
            uploadSize.pointee = 0
            if exchange.rejected == nil {
                if exchange.body.count + count > limits.bodyBytesMax {
                    exchange.rejected = tooLarge()
                    exchange.body = []
                } else if Double(DispatchTime.now().uptimeNanoseconds - exchange.startedNanoseconds) / 1e9 > limits.requestSecondsMax {
                    exchange.rejected = HTTPResponse.error(408, type: "invalid_request_error", code: "request_timeout",
                                                           message: "the request took longer than \(Int(limits.requestSecondsMax)) s to arrive")
                    exchange.body = []
                } else if let uploadData {
                    uploadData.withMemoryRebound(to: UInt8.self, capacity: count) { bytes in
                        exchange.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
                    }
                }
            }
            return MHD_Result.YES
        }
        // Resumed: a waiting worker has answered.
        if let answered = exchange.answered {
            exchange.answered = nil
            defer { inFlight.subtract(1, ordering: .sequentiallyConsistent) }
            return send(answered.response, on: connection, requestID: answered.requestID)
        }
        // Last call: the whole request is in.
        let requestID = HTTPRequest.makeID()
        if let rejected = exchange.rejected { return send(rejected, on: connection, requestID: requestID) }
        inFlight.add(1, ordering: .sequentiallyConsistent)
        let request = HTTPRequest(
            method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/",
            query: values(connection, kind: .GET_ARGUMENT_KIND), headers: values(connection, kind: .HEADER_KIND),
            body: exchange.body, requestID: requestID)
        exchange.body = []
        if let waits, let waitingWorkers, waits(request) {
            // The connection sleeps until the worker resumes it; this thread serves others meanwhile.
            MHD_suspend_connection(connection)
            let handler = handler
            nonisolated(unsafe) let suspended = connection
            waitingWorkers.run {
                exchange.answered = (handler(request), requestID)
                MHD_resume_connection(suspended)
            }
            return MHD_Result.YES
        }
        defer { inFlight.subtract(1, ordering: .sequentiallyConsistent) }
        return send(handler(request), on: connection, requestID: requestID)
    }

    private func tooLarge() -> HTTPResponse {
        HTTPResponse.error(413, type: "invalid_request_error", code: "body_too_large",
                           message: "the request body is larger than \(limits.bodyBytesMax) bytes")
    }

    private func header(_ connection: OpaquePointer, _ name: String) -> String? {
        MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) }
    }

    private final class ValueCollector {
        var values: [String: String] = [:]
    }

    private func values(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [String: String] {
        let collector = ValueCollector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = MHD_get_connection_values(connection, kind, { context, _, key, value in
            let collector = Unmanaged<ValueCollector>.fromOpaque(context!).takeUnretainedValue()
            if let key {
                collector.values[String(cString: key).lowercased()] = value.map { String(cString: $0) } ?? ""
            }
            return MHD_Result.YES
        }, context)
        return withExtendedLifetime(collector) { collector.values }
    }

    private func send(_ response: HTTPResponse, on connection: OpaquePointer, requestID: String) -> MHD_Result {
        var names = response.headers.map { strdup($0.name) }
        var values = response.headers.map { strdup($0.value) }
        names.append(strdup("Request-Id"))
        values.append(strdup(requestID))
        defer {
            for pointer in names { free(pointer) }
            for pointer in values { free(pointer) }
        }
        return names.withUnsafeBufferPointer { namePointers in
            values.withUnsafeBufferPointer { valuePointers in
                response.body.withUnsafeBytes { body in
                    namePointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { names in
                        valuePointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                            tollgate_mhd_respond(connection, UInt32(response.status), body.baseAddress, body.count,
                                                 names.baseAddress, values.baseAddress, names.count)
                        }
                    }
                }
            }
        }
    }
}
