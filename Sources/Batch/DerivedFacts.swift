import Fingerprints
import Rules

/// Facts a history file seldom has but rules read, derived from columns it
/// does have (only when the fact is not mapped itself):
/// - `ip.country` from `ip`, by the GeoIP database;
/// - `email.domain` from `customer.email` (after the last `@`, lower-cased);
/// - `device.first_seen` from `device`: how long ago the device was first
///   seen in this history, as of each row (0 at its first payment).
public enum DerivedFacts {
    /// Adds the derivable facts among `wanted`; returns notes for facts that
    /// could not be derived (e.g. no GeoIP database).
    public static func add(to table: BatchTable, wanted: Set<String>, geoIP: () throws -> GeoIPCountry) -> [String] {
        var notes: [String] = []
        if wanted.contains("ip.country"), table.columns["ip.country"] == nil, let ips = table.columns["ip"] {
            do {
                let geo = try geoIP()
                let countries = ips.strings.strings.map { geo.country(of: $0).flatMap { CountryCode.pack($0) } }
                let column = FactColumn(fact: "ip.country", type: .country)
                column.words = ips.stringIDs.map { id in id >= 0 ? countries[Int(id)] ?? 0 : 0 }
                column.present = ips.stringIDs.map { id in id >= 0 && countries[Int(id)] != nil }
                table.addDerived(column)
            } catch {
                notes.append("ip.country is missing: \(error)")
            }
        }
        if wanted.contains("email.domain"), table.columns["email.domain"] == nil, let emails = table.columns["customer.email"] {
            let column = FactColumn(fact: "email.domain", type: .string)
            let domainIDs: [Int32] = emails.strings.strings.map { email in
                guard let at = email.lastIndex(of: "@") else { return -1 }
                var domain = email[email.index(after: at)...].lowercased()
                guard !domain.isEmpty else { return -1 }
                return domain.withUTF8 { column.strings.intern($0) }
            }
            column.stringIDs = emails.stringIDs.map { id in id >= 0 ? domainIDs[Int(id)] : -1 }
            table.addDerived(column)
        }
        if wanted.contains("device.first_seen"), table.columns["device.first_seen"] == nil, let devices = table.columns["device"] {
            let column = FactColumn(fact: "device.first_seen", type: .duration)
            var firstSeen = [Int64?](repeating: nil, count: devices.strings.count)
            column.words = [Int64](repeating: 0, count: table.rowCount)
            column.present = [Bool](repeating: false, count: table.rowCount)
            for row in 0..<table.rowCount {
                let id = Int(devices.stringIDs[row])
                guard id >= 0 else { continue }
                let first = firstSeen[id] ?? table.times[row]
                firstSeen[id] = first
                column.words[row] = table.times[row] - first
                column.present[row] = true
            }
            table.addDerived(column)
        }
        return notes
    }
}
