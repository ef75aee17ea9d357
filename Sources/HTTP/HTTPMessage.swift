import Foundation

/// One HTTP request as handlers see it: the whole body already read (within
/// `HTTPLimits.bodyBytesMax`), header names lower-cased.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, percent-decoding left to the router.
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]
    /// `req_` + random hex: in logs and the `Request-Id` response header.
    public var requestID: String

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], requestID: String = HTTPRequest.makeID()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
        self.requestID = requestID
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "req_" + String(generator.next() as UInt64, radix: 16)
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body (`object` must be valid for JSONSerialization), keys sorted.
    public static func json(_ status: Int, _ object: Any) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: JSONText.encode(object))
    }

    public static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.encoded())
    }

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// CONTRACT's error object: `{"error": {"type", "code", "message", "param"}}`.
    public static func error(_ status: Int, type: String, code: String, message: String, param: String? = nil) -> HTTPResponse {
        json(status, JSONValue.object([("error", .object([("type", .string(type)), ("code", .string(code)),
                                                          ("message", .string(message)), ("param", .optional(param))]))]))
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What a server does with a request. Called on the server's threads, many at once.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse
