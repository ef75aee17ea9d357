import Fingerprints
import HTTP
import Foundation
import Risk
import Rules
import Synchronization
import TollgateCore

/// `POST /v1/decisions` (facts in, decision out, no money moves) and
/// `POST /v1/decisions/{id}/outcome` (what happened later, fed to counters).
/// Test and live keys use separate counters, so test traffic never shapes
/// live features.
final class DecisionService: @unchecked Sendable {
    static let outcomes: Set<String> = ["authorized", "declined", "refunded", "chargeback", "fraud"]
    static let amountMinorMax: Int64 = 1_000_000_000_000

    /// The server's `--rules` set (merchants without their own file use it).
    let ruleSet: RuleSet
    let counters: [String: CounterStore]
    /// Counter plans by rule-set hash: a merchant's new file gets its own plan once.
    private let plans = Mutex<[String: CounterPlan]>([:])
    var merchantRules: MerchantRules!
    var merchantLists: MerchantLists!
    let store: GatewayStore
    let log: DecisionLog
    let geoIP: GeoIPCountry?
    let metrics: GatewayMetrics
    /// When each device fingerprint was first seen, per mode (for `device.first_seen`).
    private let firstSeen = Mutex<[String: [String: Int64]]>([:])

    init(ruleSet: RuleSet, counters: [String: CounterStore], store: GatewayStore, log: DecisionLog, geoIP: GeoIPCountry?,
         metrics: GatewayMetrics) {
        self.ruleSet = ruleSet
        self.counters = counters
        self.store = store
        self.log = log
        self.geoIP = geoIP
        self.metrics = metrics
    }

    // MARK: decide

    func plan(for set: RuleSet) -> CounterPlan {
        if let plan = plans.withLock({ $0[set.hash] }) { return plan }
        let plan = CounterPlan(ruleSet: set)
        plans.withLock { $0[set.hash] = plan }
        return plan
    }

    /// A payment's facts scored as of `time`: features read, rules evaluated. Nothing counted yet.
    struct Assessment {
        let ruleSet: RuleSet
        let plan: CounterPlan
        let record: FactRecord
        let evaluation: Evaluation
        let fired: [FiredRule]
        let values: [String: FactValue]
        let time: Int64
        let mode: String

        /// `{action, score, rules, ruleset}` as charges and decisions show it.
        func riskJSON(ruleSet: RuleSet) -> JSONValue {
            ["action": .string(evaluation.action.rawValue), "score": .integer(evaluation.score),
             "rules": .array(fired.map { DecisionService.json($0, currencyExponent: record.currencyExponent) }),
             "ruleset": .string(ruleSet.hash)]
        }
    }

    /// Scores with the merchant's active set, and its shadow set when it has one.
    func assessForMerchant(_ facts: Facts, merchantID: String, mode: String) -> (active: Assessment, shadow: Assessment?) {
        let sets = merchantRules.sets(merchantID: merchantID, mode: mode)
        // Unreadable lists score as empty rather than failing the payment; the read is retried next time.
        let lists = try? merchantLists.items(merchantID: merchantID, mode: mode)
        let active = assess(facts, mode: mode, ruleSet: sets.active, lists: lists)
        return (active, sets.shadow.map { assess(facts, mode: mode, ruleSet: $0, lists: lists, countsDecision: false) })
    }

    func assess(_ facts: Facts, mode: String, ruleSet: RuleSet, lists: (any RuntimeLists)?, countsDecision: Bool = true) -> Assessment {
        let plan = plan(for: ruleSet)
        let record = ruleSet.makeRecord()
        record.runtimeLists = lists
        let time = facts.time
        var stored = facts.values
        if let device = stored["device"], case .string(let id) = device {
            let first = firstSeen.withLock { seen -> Int64 in
                let known = seen[mode, default: [:]][id] ?? time
                seen[mode, default: [:]][id] = known
                return known
            }
            stored["device.first_seen"] = .word(max(0, time - first))
        }
        record.currencyExponent = facts.currencyExponent
        Self.fill(record, from: stored, ruleSet: ruleSet)
        counters[mode]!.readFeatures(plan, into: record, at: time)
        let evaluation = ruleSet.evaluate(record)
        if countsDecision { metrics.countDecision(evaluation.action.rawValue) }
        return Assessment(ruleSet: ruleSet, plan: plan, record: record, evaluation: evaluation,
                          fired: ruleSet.explain(evaluation, record: record), values: stored, time: time, mode: mode)
    }

    /// Counts the assessed payment from now on, with what happened to it ("authorized" or "declined"):
    /// the active set's features, and those of the shadow set that the active set does not have.
    func learn(_ assessment: Assessment, shadow: Assessment? = nil, outcome: String) {
        let store = counters[assessment.mode]!
        if let outcomeSlot = assessment.ruleSet.layout.slot(named: "outcome")?.index { assessment.record.setString(outcomeSlot, outcome) }
        store.recordEvent(assessment.plan, from: assessment.record, at: assessment.time)
        guard let shadow else { return }
        let activeSeeds = Set(assessment.plan.features.map(\.seed))
        let shadowOnly = shadow.plan.subset { !activeSeeds.contains($0.seed) }
        guard !shadowOnly.features.isEmpty else { return }
        if let outcomeSlot = shadow.ruleSet.layout.slot(named: "outcome")?.index { shadow.record.setString(outcomeSlot, outcome) }
        store.recordEvent(shadowOnly, from: shadow.record, at: shadow.time)
    }

    /// A later outcome (refund, chargeback) of a payment's facts, for the merchant's active set.
    func learnLater(values: [String: FactValue], currencyExponent: Int, outcome: String, merchantID: String, mode: String, now: Int64) {
        let set = merchantRules.sets(merchantID: merchantID, mode: mode).active
        let record = set.makeRecord()
        record.currencyExponent = currencyExponent
        Self.fill(record, from: values, ruleSet: set)
        if let outcomeSlot = set.layout.slot(named: "outcome")?.index {
            record.setString(outcomeSlot, outcome)
            counters[mode]!.recordOutcome(plan(for: set), from: record, at: now)
        }
    }

    func decide(_ body: JSONBody, merchant: Merchant, mode: String, now: Int64) throws(APIError) -> JSONValue {
        let facts = try Self.facts(from: body, merchant: merchant, now: now, geoIP: geoIP)
        let (assessment, shadow) = assessForMerchant(facts, merchantID: merchant.id, mode: mode)
        let (record, evaluation, fired, stored, time) = (assessment.record, assessment.evaluation, assessment.fired, assessment.values, assessment.time)
        let ruleSet = assessment.ruleSet
        let id = Secrets.token(prefix: "dec_")
        let response: JSONValue = [
            "id": .string(id), "object": "decision", "action": .string(evaluation.action.rawValue), "score": .integer(evaluation.score),
            "rules": .array(fired.map { Self.json($0, currencyExponent: record.currencyExponent) }),
            "ruleset": .string(ruleSet.hash), "created": .integer(now), "livemode": .bool(mode == "live"), "outcome": nil,
            "shadow": shadow.map { $0.riskJSON(ruleSet: $0.ruleSet) } ?? nil,
        ]
        // The payment counts from now on, with its decision-time outcome.
        learn(assessment, shadow: shadow, outcome: evaluation.action == .block ? "declined" : "authorized")
        log.append(GatewayStore.StoredDecision(
            id: id, merchantID: merchant.id, mode: mode, created: now, factsJSON: Self.encode(stored, time: time, exponent: facts.currencyExponent),
            responseJSON: response.text, outcome: nil))
        return response
    }

    // MARK: outcome

    func reportOutcome(_ body: JSONBody, decisionID: String, merchant: Merchant, mode: String, now: Int64) throws(APIError) -> JSONValue {
        try body.onlyKnown(["outcome"])
        let outcome = try body.string("outcome", required: true)!
        guard Self.outcomes.contains(outcome) else {
            throw APIError.invalid("outcome", "'outcome' must be one of \(Self.outcomes.sorted().joined(separator: ", "))")
        }
        guard var decision = log.decision(id: decisionID, merchantID: merchant.id), decision.mode == mode else {
            throw APIError.notFound("decision", decisionID)
        }
        guard let (facts, _, exponent) = Self.decode(decision.factsJSON) else {
            throw APIError(500, type: "api_error", code: "stored_decision_unreadable", "the stored decision cannot be read")
        }
        learnLater(values: facts, currencyExponent: exponent, outcome: outcome, merchantID: merchant.id, mode: mode, now: now)
        do {
            log.flush()
            try store.setOutcome(decisionID: decisionID, outcome: outcome, at: now)
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the outcome could not be stored")
        }
        decision.outcome = outcome
        var response = (try? JSONSerialization.jsonObject(with: Data(decision.responseJSON.utf8)) as? [String: Any]) ?? [:]
        response["outcome"] = outcome
        return .raw(JSONText.string(response))
    }

    // MARK: facts

    enum FactValue: Equatable {
        case word(Int64)
        case string(String)
    }

    struct Facts {
        var values: [String: FactValue]
        var time: Int64
        var currencyExponent: Int
    }

    /// The body's facts, type-checked against the catalog, plus what can be
    /// derived (ip.country, email.domain, device levels from attributes).
    static func facts(from body: JSONBody, merchant: Merchant, now: Int64, geoIP: GeoIPCountry?) throws(APIError) -> Facts {
        var values: [String: FactValue] = [:]
        let currencyCode = try body.string("currency") ?? merchant.currency
        guard let currency = Currency(code: currencyCode), currencyCode == currencyCode.uppercased() else {
            throw APIError.invalid("currency", "'currency' must be an upper-case ISO 4217 code")
        }
        values["currency"] = .string(currencyCode)
        var time = now
        if body.has("time") {
            if let seconds = try? body.integer("time") {
                time = seconds
            } else if let text = try? body.string("time"), let parsed = Self.parseTime(text) {
                time = parsed
            } else {
                throw APIError.invalid("time", "'time' must be epoch seconds or an ISO 8601 time")
            }
        }
        for key in body.object.keys.sorted() where !["currency", "time"].contains(key) {
            switch key {
            case "amount":
                let amount = try body.integer("amount")!
                guard amount >= 0, amount <= amountMinorMax else {
                    throw APIError.invalid("amount", "'amount' must be 0 to \(amountMinorMax) minor units")
                }
                guard let scaled = MoneyScale.fromMinorUnits(amount, exponent: currency.minorUnitExponent) else {
                    throw APIError.invalid("amount", "'amount' is too large")
                }
                values["amount"] = .word(scaled)
            case "metadata":
                guard let metadata = try body.child("metadata") else { continue }
                guard metadata.object.count <= 50 else { throw APIError.invalid("metadata", "at most 50 metadata keys") }
                for name in metadata.object.keys {
                    guard name.utf8.count <= 40, let value = try metadata.string(name, maxLength: 500) else {
                        throw APIError.invalid("metadata.\(name)", "metadata keys are up to 40 characters and values strings")
                    }
                    values["metadata.\(name)"] = .string(value)
                }
            case "device":
                if body.object["device"] is [String: Any] {
                    let attributes = try Self.browserAttributes(try body.child("device")!)
                    let fingerprint = DeviceFingerprint(attributes)
                    values["device"] = .string(fingerprint.device)
                    values["device.browser"] = .string(fingerprint.browser)
                } else {
                    values["device"] = .string(try body.string("device", required: true, maxLength: 200)!)
                }
            case "outcome", "label", "device.first_seen":
                throw APIError.invalid(key, "'\(key)' is not known at decision time (report outcomes to /v1/decisions/{id}/outcome)")
            default:
                guard let entry = FactCatalog.entry(key) else { throw APIError.unknown(key) }
                switch entry.type {
                case .string:
                    values[key] = .string(try body.string(key, required: true, maxLength: 500)!)
                case .country:
                    let code = try body.string(key, required: true)!
                    guard let packed = CountryCode.pack(code), code == code.uppercased() else {
                        throw APIError.invalid(key, "'\(key)' must be an ISO 3166-1 alpha-2 code such as \"NG\"")
                    }
                    values[key] = .word(packed)
                case .integer, .duration:
                    values[key] = .word(try body.integer(key, required: true)!)
                case .timestamp:
                    values[key] = .word(try body.integer(key, required: true)!)
                case .bool:
                    guard let flag = try body.bool(key) else { throw APIError.missing(key) }
                    values[key] = .word(flag ? 1 : 0)
                case .decimal:
                    guard let number = body.object[key] as? NSNumber, !JSONBody.isBool(number), number.doubleValue.isFinite else {
                        throw APIError.invalid(key, "'\(key)' must be a number")
                    }
                    values[key] = .word(Int64(bitPattern: number.doubleValue.bitPattern))
                case .money:
                    throw APIError.invalid(key, "'\(key)' is not accepted here")
                }
            }
        }
        if values["ip.country"] == nil, case .string(let ip)? = values["ip"], let country = geoIP?.country(of: ip), let packed = CountryCode.pack(country) {
            values["ip.country"] = .word(packed)
        }
        if values["email.domain"] == nil, case .string(let email)? = values["customer.email"], let at = email.lastIndex(of: "@") {
            let domain = email[email.index(after: at)...].lowercased()
            if !domain.isEmpty { values["email.domain"] = .string(domain) }
        }
        values["time"] = .word(time)
        return Facts(values: values, time: time, currencyExponent: currency.minorUnitExponent)
    }

    static func browserAttributes(_ body: JSONBody) throws(APIError) -> BrowserAttributes {
        try body.onlyKnown(["user_agent", "platform", "languages", "timezone", "screen_width", "screen_height", "color_depth",
                            "hardware_concurrency", "device_memory", "canvas_hash", "webgl_hash", "fonts", "touch_points", "cookie_id"])
        var attributes = BrowserAttributes()
        attributes.userAgent = try body.string("user_agent", maxLength: 1_000)
        attributes.platform = try body.string("platform", maxLength: 100)
        attributes.timezone = try body.string("timezone", maxLength: 100)
        attributes.canvasHash = try body.string("canvas_hash", maxLength: 200)
        attributes.webglHash = try body.string("webgl_hash", maxLength: 200)
        attributes.cookieID = try body.string("cookie_id", maxLength: 200)
        attributes.screenWidth = try body.integer("screen_width").map { Int($0) }
        attributes.screenHeight = try body.integer("screen_height").map { Int($0) }
        attributes.colorDepth = try body.integer("color_depth").map { Int($0) }
        attributes.hardwareConcurrency = try body.integer("hardware_concurrency").map { Int($0) }
        attributes.touchPoints = try body.integer("touch_points").map { Int($0) }
        if body.has("device_memory") {
            guard let number = body.object["device_memory"] as? NSNumber, !JSONBody.isBool(number) else {
                throw APIError.invalid("device.device_memory", "'device.device_memory' must be a number")
            }
            attributes.deviceMemoryGB = number.doubleValue
        }
        for key in ["languages", "fonts"] where body.has(key) {
            guard let list = body.object[key] as? [String], list.count <= 500, list.allSatisfy({ $0.count <= 200 }) else {
                throw APIError.invalid("device.\(key)", "'device.\(key)' must be a list of up to 500 strings")
            }
            if key == "languages" { attributes.languages = list } else { attributes.fonts = list }
        }
        return attributes
    }

    static func parseTime(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }

    static func fill(_ record: FactRecord, from values: [String: FactValue], ruleSet: RuleSet) {
        for (name, value) in values {
            guard let slot = ruleSet.layout.slot(named: name) else { continue }
            switch value {
            case .word(let word): record.setWord(slot.index, word)
            case .string(let text): record.setString(slot.index, text)
            }
        }
    }

    static func json(_ rule: FiredRule, currencyExponent: Int) -> JSONValue {
        var entry: [(String, JSONValue)] = [("name", .string(rule.name))]
        switch rule.action {
        case .score(let points): entry.append(("points", .integer(points)))
        case .block: entry.append(("action", "block"))
        case .allow: entry.append(("action", "allow"))
        case .review: entry.append(("action", "review"))
        case .challenge: entry.append(("action", "challenge"))
        }
        entry.append(("shadow", .bool(rule.isShadow)))
        entry.append(("values", .object(rule.values.map { name, value in
            if case .missing = value { return (name, .null) }
            return (name, .string(value.formatted(currencyExponent: currencyExponent)))
        })))
        return .object(entry)
    }

    // MARK: stored facts

    /// Facts as stored with a decision: `{"t": time, "e": exponent, "f": {name: ["w", word] | ["s", text]}}`.
    static func encode(_ values: [String: FactValue], time: Int64, exponent: Int) -> String {
        let facts: [(String, JSONValue)] = values.map { name, value in
            switch value {
            case .word(let word): (name, ["w", .string(String(word))])
            case .string(let text): (name, ["s", .string(text)])
            }
        }
        return JSONValue.object([("t", .integer(time)), ("e", .integer(Int64(exponent))), ("f", .object(facts))]).text
    }

    static func decode(_ text: String) -> ([String: FactValue], Int64, Int)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let time = (object["t"] as? NSNumber)?.int64Value, let exponent = (object["e"] as? NSNumber)?.intValue,
              let facts = object["f"] as? [String: [String]] else { return nil }
        var values: [String: FactValue] = [:]
        for (name, pair) in facts where pair.count == 2 {
            if pair[0] == "w", let word = Int64(pair[1]) { values[name] = .word(word) } else if pair[0] == "s" { values[name] = .string(pair[1]) }
        }
        return (values, time, exponent)
    }

}
