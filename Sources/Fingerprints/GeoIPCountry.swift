import CGeoIP
import Foundation

/// `ip.country` from a GeoIP database: Debian's geoip-database (legacy GeoIP
/// .dat files for IPv4 and IPv6) through libGeoIP. The files are loaded into
/// memory once and looked up with the re-entrant `_gl` calls, so any number of
/// threads may share one instance.
public final class GeoIPCountry: @unchecked Sendable {
    public static let debianIPv4Path = "/usr/share/GeoIP/GeoIP.dat"
    public static let debianIPv6Path = "/usr/share/GeoIP/GeoIPv6.dat"

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    private let ipv4: UnsafeMutablePointer<GeoIP>
    private let ipv6: UnsafeMutablePointer<GeoIP>?

    public init(ipv4Path: String = debianIPv4Path, ipv6Path: String? = debianIPv6Path) throws(OpenError) {
        guard FileManager.default.isReadableFile(atPath: ipv4Path), let ipv4 = GeoIP_open(ipv4Path, Int32(GEOIP_MEMORY_CACHE.rawValue)) else {
            throw OpenError(description: "cannot open the GeoIP database \(ipv4Path) (install Debian's geoip-database)")
        }
        self.ipv4 = ipv4
        if let ipv6Path, FileManager.default.isReadableFile(atPath: ipv6Path) {
            ipv6 = GeoIP_open(ipv6Path, Int32(GEOIP_MEMORY_CACHE.rawValue))
        } else {
            ipv6 = nil
        }
    }

    deinit {
        GeoIP_delete(ipv4)
        if let ipv6 { GeoIP_delete(ipv6) }
    }

    /// The ISO 3166-1 alpha-2 country of an IPv4 or IPv6 address; nil when the
    /// address is not one, or is private, reserved or unknown to the database.
    public func country(of address: String) -> String? {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        var lookup = GeoIPLookup()
        let code: UnsafePointer<CChar>?
        if trimmed.contains(":") {
            guard let ipv6, Self.isIPv6(trimmed) else { return nil }
            code = GeoIP_country_code_by_addr_v6_gl(ipv6, trimmed, &lookup)
        } else {
            guard Self.isIPv4(trimmed) else { return nil }
            code = GeoIP_country_code_by_addr_gl(ipv4, trimmed, &lookup)
        }
        guard let code else { return nil }
        let text = String(cString: code)
        // "--", "A1" (anonymous proxy), "A2", "EU", "AP" are not countries.
        guard text.utf8.count == 2, !["--", "A1", "A2", "EU", "AP", "O1"].contains(text) else { return nil }
        return text
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
