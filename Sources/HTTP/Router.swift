import Foundation

/// Method + path pattern (`/v1/charges/{id}/capture`) → handler. Callable
/// in-process (`handle`), so API tests need no socket; the server calls the
/// same function.
public struct Router: Sendable {
    public typealias Route = @Sendable (HTTPRequest, _ parameters: [String: String]) -> HTTPResponse

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    struct Entry: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: Route
    }

    private var entries: [Entry] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Route) {
        let segments = Router.split(pattern).map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(part)
        }
        precondition(!entries.contains { $0.method == method && $0.segments == segments }, "route \(method) \(pattern) added twice")
        entries.append(Entry(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    /// Every route as (method, pattern), for documentation checks.
    public var routes: [(method: String, pattern: String)] { entries.map { ($0.method, $0.pattern) } }

    /// The route's pattern a request matches (for metrics labels), if any.
    public func pattern(for request: HTTPRequest) -> String? {
        let parts = Router.split(request.path)
        return entries.first { $0.method == request.method && Router.match($0.segments, parts) != nil }?.pattern
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let parts = Router.split(request.path)
        var allowed: [String] = []
        for entry in entries {
            guard let parameters = Router.match(entry.segments, parts) else { continue }
            if entry.method == request.method { return entry.handler(request, parameters) }
            allowed.append(entry.method)
        }
        if !allowed.isEmpty {
            var response = HTTPResponse.error(405, type: "invalid_request_error", code: "method_not_allowed",
                                              message: "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))")
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
        return HTTPResponse.error(404, type: "invalid_request_error", code: "not_found",
                                  message: "no such endpoint: \(request.method) \(request.path)")
    }

    static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func match(_ segments: [Segment], _ parts: [String]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                guard text == part else { return nil }
            case .parameter(let name):
                guard let decoded = part.removingPercentEncoding, !decoded.isEmpty else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }
}
