import Foundation

/// The OpenAPI 3.1 description of the API, served at `/v1/openapi.json`. A
/// test checks that every route the router has is described here, and the reverse.
enum OpenAPIDocument {
    static var errorSchema: [String: Any] { [
        "type": "object", "required": ["error"],
        "properties": ["error": [
            "type": "object", "required": ["type", "code", "message"],
            "properties": [
                "type": ["type": "string", "enum": ["invalid_request_error", "authentication_error", "card_error",
                                                    "idempotency_error", "rate_limit_error", "api_error"]],
                "code": ["type": "string"], "message": ["type": "string"], "param": ["type": ["string", "null"]],
            ],
        ]],
    ] }

    static func errors(_ statuses: [Int]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: statuses.map { status in
            (String(status), ["description": "error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]] as [String: Any])
        })
    }

    static func operation(_ summary: String, security: Bool = true, body: [String: Any]? = nil, ok: (Int, String),
                          errors statuses: [Int]) -> [String: Any] {
        var responses = errors(statuses)
        responses[String(ok.0)] = ["description": ok.1, "content": ["application/json": ["schema": ["type": "object"]]]]
        var operation: [String: Any] = ["summary": summary, "responses": responses]
        if let body { operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]] }
        if !security { operation["security"] = [] as [Any] }
        return operation
    }

    static var document: [String: Any] { [
        "openapi": "3.1.0",
        "info": ["title": "Tollgate", "version": "1", "description": "Payments with a rules-based risk engine. Amounts are integers in the currency's minor unit."],
        "components": [
            "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "the admin key, or a merchant's sk_test_/sk_live_ key"]],
            "schemas": ["Error": errorSchema],
        ],
        "security": [["bearer": [] as [Any]]],
        "paths": [
            "/healthz": ["get": operation("Liveness", security: false, ok: (200, "alive"), errors: [])],
            "/metrics": ["get": operation("Prometheus metrics (text format)", security: false, ok: (200, "metrics"), errors: [])],
            "/v1/openapi.json": ["get": operation("This document", security: false, ok: (200, "the OpenAPI document"), errors: [])],
            "/v1/merchants": ["post": operation(
                "Create a merchant (admin key); its secret keys are shown only in this answer",
                body: ["type": "object", "required": ["name", "country", "currency", "payout_account"], "additionalProperties": false,
                       "properties": [
                           "name": ["type": "string", "maxLength": 200],
                           "country": ["type": "string", "pattern": "^[A-Z]{2}$"],
                           "currency": ["type": "string", "pattern": "^[A-Z]{3}$"],
                           "payout_account": ["oneOf": [
                               ["type": "object", "required": ["iban"], "properties": ["iban": ["type": "string"]]],
                               ["type": "object", "required": ["routing_number", "account_number"],
                                "properties": ["routing_number": ["type": "string"], "account_number": ["type": "string"]]],
                           ]],
                           "fees": ["type": "object", "properties": ["percent_basis_points": ["type": "integer"], "fixed": ["type": "integer"]]],
                       ]],
                ok: (201, "the merchant, with secret_key and live_secret_key"), errors: [400, 401])],
            "/v1/merchants/{id}": ["get": operation("A merchant (admin key)", ok: (200, "the merchant"), errors: [401, 404])],
            "/v1/payment_methods": ["post": operation(
                "Store a card: Luhn, expiry and CVC checked; the number kept only encrypted (AES-256-GCM); the CVC never stored",
                body: ["type": "object", "required": ["type", "card"], "additionalProperties": false,
                       "properties": ["type": ["const": "card"], "customer": ["type": "string"],
                                      "card": ["type": "object", "required": ["number", "exp_month", "exp_year", "cvc"],
                                               "properties": ["number": ["type": "string"], "exp_month": ["type": "integer"],
                                                              "exp_year": ["type": "integer"], "cvc": ["type": "string"]]]]],
                ok: (201, "the payment method: brand, BIN, last 4, fingerprint, expiry"), errors: [400, 401])],
            "/v1/charges": [
                "post": operation(
                    "Take a payment: risk decision, then authorize (and capture unless capture is false); 402 card_error when declined",
                    body: ["type": "object", "required": ["amount", "payment_method"], "additionalProperties": false,
                           "properties": ["amount": ["type": "integer", "minimum": 1], "currency": ["type": "string"],
                                          "payment_method": ["type": "string"], "capture": ["type": "boolean"],
                                          "customer": ["type": "string"], "email": ["type": "string"], "ip": ["type": "string"],
                                          "device": ["type": "object"], "description": ["type": "string"], "metadata": ["type": "object"]]],
                    ok: (201, "the charge"), errors: [400, 401, 402, 404, 409, 422, 503]),
                "get": operation("List charges (newest first; status, limit, starting_after)", ok: (200, "a list"), errors: [400, 401]),
            ],
            "/v1/charges/{id}": ["get": operation("A charge", ok: (200, "the charge"), errors: [401, 404])],
            "/v1/charges/{id}/capture": ["post": operation(
                "Capture an authorized charge, all or part (the rest is released)",
                body: ["type": "object", "properties": ["amount": ["type": "integer", "minimum": 1]]],
                ok: (200, "the charge"), errors: [400, 401, 404, 409, 422])],
            "/v1/charges/{id}/cancel": ["post": operation("Cancel before capture (the hold is released)", ok: (200, "the charge"), errors: [401, 404, 409, 422])],
            "/v1/charges/{id}/approve": ["post": operation("Approve a charge in review", ok: (200, "the charge"), errors: [401, 404, 409, 422])],
            "/v1/charges/{id}/reject": ["post": operation("Reject a charge in review (canceled)", ok: (200, "the charge"), errors: [401, 404, 409, 422])],
            "/v1/refunds": ["post": operation(
                "Refund a charge, all or part; never more than captured minus refunded",
                body: ["type": "object", "required": ["charge"], "properties": ["charge": ["type": "string"], "amount": ["type": "integer"],
                                                                                "reason": ["type": "string", "enum": ["duplicate", "fraudulent", "requested_by_customer"]]]],
                ok: (201, "the refund"), errors: [400, 401, 404, 409, 422])],
            "/v1/refunds/{id}": ["get": operation("A refund", ok: (200, "the refund"), errors: [401, 404])],
            "/v1/balance": ["get": operation("Available and pending money per currency", ok: (200, "the balance"), errors: [401])],
            "/v1/events": ["get": operation("Events, newest first (limit, starting_after)", ok: (200, "a list of events"), errors: [400, 401])],
            "/v1/webhook_endpoints": ["post": operation(
                "Receive events at a URL: signed with Tollgate-Signature (t=…,v1=HMAC-SHA256(secret, \"t.body\")), retried with backoff for 3 days",
                body: ["type": "object", "required": ["url", "events"], "properties": [
                    "url": ["type": "string", "format": "uri"], "events": ["type": "array", "items": ["type": "string"]]]],
                ok: (201, "the endpoint with its signing secret (shown only here)"), errors: [400, 401])],
            "/v1/rules": [
                "get": operation("The merchant's active rule file (text/plain; Tollgate-Ruleset-Version and -Hash headers)",
                                 ok: (200, "the rule file"), errors: [401]),
                "put": operation(
                    "Replace the rule file (text body); live only if it compiles and its tests pass; ?mode=shadow runs it beside the active one without acting",
                    body: ["type": "string", "contentMediaType": "text/plain"],
                    ok: (200, "the new version and hash"), errors: [400, 401, 422]),
            ],
            "/v1/lists/{name}": ["get": operation(
                "The list's present items, newest first (limit, starting_after); rules read them as `x in @name`",
                ok: (200, "a list of list items"), errors: [400, 401])],
            "/v1/lists/{name}/items": ["post": operation(
                "Add a value; rules see it from this moment on (201; 200 when it is already present)",
                body: ["type": "object", "required": ["value"], "additionalProperties": false,
                       "properties": ["value": ["type": "string", "minLength": 1, "maxLength": 500]]],
                ok: (201, "the list item"), errors: [400, 401, 409, 422])],
            "/v1/lists/{name}/items/{value}": ["delete": operation(
                "Remove a value (URL-encoded); rules stop seeing it from this moment on",
                ok: (200, "the removed item (deleted: true)"), errors: [400, 401, 404])],
            "/v1/decisions": ["post": operation(
                "Score one transaction with the risk engine; no money moves",
                body: ["type": "object", "description": "facts of DESIGN's vocabulary: amount (minor units), currency, customer, card, ip, device (an id or browser attributes), metadata, …"],
                ok: (201, "the decision: action, score, fired rules with their values, ruleset"), errors: [400, 401])],
            "/v1/decisions/{id}/outcome": ["post": operation(
                "Report what happened after a decision; counters that filter on outcome see it",
                body: ["type": "object", "required": ["outcome"], "properties": ["outcome": [
                    "type": "string", "enum": ["authorized", "declined", "refunded", "chargeback", "fraud"]]]],
                ok: (200, "the decision with its outcome"), errors: [400, 401, 404])],
        ],
    ] }

    static let json: String = {
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }()
}
