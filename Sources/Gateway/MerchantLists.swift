import Foundation
import HTTP
import Rules
import Store

/// Each merchant's lists managed over the API (`/v1/lists/{name}`), per mode.
/// An item counts from the moment it is added until it is removed; rows keep
/// both times, so the history stays (a removed value re-added is a new row).
/// Rules read them as `x in @name`: a list the rule file declares also holds
/// these items, an undeclared one holds only these (see `ListResolution`).
final class MerchantLists: @unchecked Sendable {
    /// The present items of one merchant's lists in one mode, read by the rules.
    final class Items: RuntimeLists, @unchecked Sendable {
        private let lock = NSLock()
        private var lists: [String: Set<String>]

        init(_ lists: [String: Set<String>]) { self.lists = lists }

        func contains(_ value: String, inList name: String) -> Bool {
            lock.withLock { lists[name]?.contains(value) ?? false }
        }

        func count(_ name: String) -> Int { lock.withLock { lists[name]?.count ?? 0 } }

        fileprivate func update(_ name: String, _ change: (inout Set<String>) -> Void) {
            lock.withLock { change(&lists[name, default: []]) }
        }
    }

    struct Item {
        let id: String
        let list: String
        let value: String
        let created: Int64
        let removed: Int64?

        var json: JSONValue {
            let object: JSONValue = ["id": .string(id), "object": "list_item", "list": .string(list),
                                     "value": .string(value), "created": .integer(created)]
            guard let removed else { return object }
            return object.setting("removed", .integer(removed)).setting("deleted", true)
        }
    }

    static let valueLengthMax = 500
    static let nameLengthMax = 64
    /// As many items as a rule file's list may hold.
    static let itemsPerListMax = RuleLimits.standard.listItemsMax

    let store: GatewayStore
    private let lock = NSLock()
    private var loaded: [String: Items] = [:]
    /// One writer at a time, so the row and the items in memory change together.
    private let writeLock = NSLock()

    init(store: GatewayStore) { self.store = store }

    /// The items rules read for this merchant and mode (loaded on first use).
    func items(merchantID: String, mode: String) throws(APIError) -> Items {
        let key = "\(merchantID)|\(mode)"
        if let items = lock.withLock({ loaded[key] }) { return items }
        let present: [String: Set<String>]
        do {
            present = try store.withConnection { connection in
                let select = try connection.statement("SELECT list, value FROM list_items WHERE merchant_id = ? AND mode = ? AND removed IS NULL")
                try select.bind(1, merchantID)
                try select.bind(2, mode)
                var lists: [String: Set<String>] = [:]
                while try select.step() { lists[select.text(0) ?? "", default: []].insert(select.text(1) ?? "") }
                return lists
            }
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the lists could not be read")
        }
        return lock.withLock {
            if let items = loaded[key] { return items }
            let items = Items(present)
            loaded[key] = items
            return items
        }
    }

    static func checkName(_ name: String) throws(APIError) {
        let bytes = Array(name.utf8)
        let valid = !bytes.isEmpty && bytes.count <= nameLengthMax && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[0])
            && bytes.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard valid else {
            throw APIError.invalid("name", "a list name is a rule-language name: letters, digits and '_', not starting with a digit, at most \(nameLengthMax) characters")
        }
    }

    /// Adds `value` to the list; a value already present is answered as it is (200), a new one 201.
    func add(_ body: JSONBody, list name: String, merchantID: String, mode: String, now: Int64) throws(APIError) -> (Int, JSONValue) {
        try Self.checkName(name)
        try body.onlyKnown(["value"])
        guard let value = try body.string("value", required: true, maxLength: Self.valueLengthMax) else { throw APIError.missing("value") }
        let items = try items(merchantID: merchantID, mode: mode)
        writeLock.lock()
        defer { writeLock.unlock() }
        if let existing = try present(name, value, merchantID: merchantID, mode: mode) { return (200, existing.json) }
        guard items.count(name) < Self.itemsPerListMax else {
            throw APIError(400, code: "list_full", "list '\(name)' holds \(Self.itemsPerListMax) items, the most a list may hold", param: "value")
        }
        let item = Item(id: Secrets.token(prefix: "li_"), list: name, value: value, created: now, removed: nil)
        do {
            try store.withConnection { connection in
                let insert = try connection.statement("""
                    INSERT INTO list_items(id, merchant_id, mode, list, value, added) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                try insert.bind(1, item.id)
                try insert.bind(2, merchantID)
                try insert.bind(3, mode)
                try insert.bind(4, name)
                try insert.bind(5, value)
                try insert.bind(6, now)
                _ = try insert.step()
            }
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the item could not be stored; nothing changed")
        }
        items.update(name) { $0.insert(value) }
        return (201, item.json)
    }

    /// Ends the item's time in the list (the row stays, with the time it was removed).
    func remove(_ value: String, list name: String, merchantID: String, mode: String, now: Int64) throws(APIError) -> JSONValue {
        try Self.checkName(name)
        let items = try items(merchantID: merchantID, mode: mode)
        writeLock.lock()
        defer { writeLock.unlock() }
        guard let existing = try present(name, value, merchantID: merchantID, mode: mode) else {
            throw APIError(404, code: "resource_missing", "list '\(name)' has no item '\(value)'", param: "value")
        }
        do {
            try store.withConnection { connection in
                let update = try connection.statement("UPDATE list_items SET removed = ? WHERE id = ?")
                try update.bind(1, now)
                try update.bind(2, existing.id)
                _ = try update.step()
            }
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the item could not be removed; nothing changed")
        }
        items.update(name) { $0.remove(value) }
        return Item(id: existing.id, list: name, value: value, created: existing.created, removed: now).json
    }

    /// The list's present items, newest first.
    func page(list name: String, merchantID: String, mode: String, limit: Int, after: String?) throws(APIError) -> JSONValue {
        try Self.checkName(name)
        do {
            let rows: [Item] = try store.withConnection { connection in
                var sql = "SELECT id, value, added FROM list_items WHERE merchant_id = ? AND mode = ? AND list = ? AND removed IS NULL"
                if after != nil {
                    sql += " AND (added, id) < (SELECT added, id FROM list_items WHERE id = ? AND merchant_id = ? AND mode = ?)"
                }
                sql += " ORDER BY added DESC, id DESC LIMIT ?"
                let select = try connection.statement(sql)
                try select.bind(1, merchantID)
                try select.bind(2, mode)
                try select.bind(3, name)
                var index: Int32 = 4
                if let after {
                    try select.bind(4, after)
                    try select.bind(5, merchantID)
                    try select.bind(6, mode)
                    index = 7
                }
                try select.bind(index, Int64(limit + 1))
                var rows: [Item] = []
                while try select.step() {
                    rows.append(Item(id: select.text(0) ?? "", list: name, value: select.text(1) ?? "", created: select.int64(2), removed: nil))
                }
                return rows
            }
            return Gateway.list(rows.prefix(limit).map(\.json), hasMore: rows.count > limit)
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the list could not be read")
        }
    }

    private func present(_ name: String, _ value: String, merchantID: String, mode: String) throws(APIError) -> Item? {
        do {
            return try store.withConnection { connection in
                let select = try connection.statement("""
                    SELECT id, added FROM list_items WHERE merchant_id = ? AND mode = ? AND list = ? AND value = ? AND removed IS NULL
                    """)
                try select.bind(1, merchantID)
                try select.bind(2, mode)
                try select.bind(3, name)
                try select.bind(4, value)
                guard try select.step() else { return nil }
                return Item(id: select.text(0) ?? "", list: name, value: value, created: select.int64(1), removed: nil)
            }
        } catch {
            throw APIError(500, type: "api_error", code: "storage_failed", "the list could not be read")
        }
    }
}
