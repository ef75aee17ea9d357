import Fingerprints
import Foundation
import Rules
import Testing
@testable import Batch

/// ip.country, email.domain and device.first_seen derived for files that lack them.
@Suite("Derived facts")
struct DerivedFactsTests {
    static let rules = """
    rule us_ip:         review if ip.country == "US"
    rule example_mail:  review if email.domain == "example.com"
    rule device_new:    review if device.first_seen < 1h
    rule device_day:    review if device.first_seen >= 1d
    """

    @Test(.enabled(if: FileManager.default.fileExists(atPath: GeoIPCountry.debianIPv4Path), "skipped: no GeoIP database"))
    func derivedWhenNotMapped() throws {
        let csv = """
        time,ip,email,device
        2026-01-01T00:00:00Z,8.8.8.8,Ann@Example.COM,d1
        2026-01-01T02:00:00Z,10.0.0.1,bob@other.example,d1
        2026-01-02T03:00:00Z,,carl,d1
        2026-01-02T03:00:00Z,2001:4860:4860::8888,,

        """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("derived-\(UUID().uuidString).csv")
        try Data(csv.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let compiled = RuleCompiler.compile(SourceFile(path: "derived.rules", text: Self.rules))
        let ruleSet = try #require(compiled.ruleSet)
        let table = try TableLoader.load(path: file.path, map: ColumnMap.parse("time=time,ip=ip,customer.email=email,device=device"),
                                         defaultCurrency: .usd)
        let notes = DerivedFacts.add(to: table, wanted: Set(ruleSet.layout.slots.map(\.name)), geoIP: { try GeoIPCountry() })
        #expect(notes.isEmpty)
        let result = BatchScorer(ruleSet: ruleSet, labelDelaySeconds: 0).score(table)
        let fired = (0..<table.rowCount).map { row in result.fired(row).map { ruleSet.rules[Int($0)].name }.sorted() }
        #expect(fired == [
            ["device_new", "example_mail", "us_ip"],   // first sight of d1: 0 seconds
            [],                                         // private IP, other domain, d1 seen 2 h ago
            ["device_day"],                             // no domain in "carl"; d1 seen 27 h ago
            ["us_ip"],                                  // IPv6; no e-mail, no device
        ])
    }
}
