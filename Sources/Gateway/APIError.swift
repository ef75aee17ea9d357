import HTTP

/// An API failure with everything CONTRACT's error object needs.
public struct APIError: Error, Sendable {
    public let status: Int
    public let type: String
    public let code: String
    public let message: String
    public let param: String?

    public init(_ status: Int, type: String = "invalid_request_error", code: String, _ message: String, param: String? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    public var response: HTTPResponse {
        HTTPResponse.error(status, type: type, code: code, message: message, param: param)
    }

    static func missing(_ param: String) -> APIError {
        APIError(400, code: "parameter_missing", "'\(param)' is required", param: param)
    }

    static func invalid(_ param: String, _ message: String) -> APIError {
        APIError(400, code: "parameter_invalid", message, param: param)
    }

    static func unknown(_ param: String) -> APIError {
        APIError(400, code: "parameter_unknown", "'\(param)' is not a known parameter", param: param)
    }

    static func notFound(_ what: String, _ id: String, param: String = "id") -> APIError {
        // An id that is a card number by mistake is not echoed.
        let shown = CardNumber.looksLikeCardNumber(id) ? "(a card number)" : id
        return APIError(404, code: "resource_missing", "no such \(what): '\(shown)'", param: param)
    }

    static let unauthenticated = APIError(401, type: "authentication_error", code: "unauthenticated",
                                          "send your secret key as 'Authorization: Bearer KEY'")
    static let invalidKey = APIError(401, type: "authentication_error", code: "invalid_api_key", "the API key is not valid")
}
