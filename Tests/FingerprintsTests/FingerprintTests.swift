import Foundation
import Testing
@testable import Fingerprints

@Suite("Card fingerprints")
struct CardFingerprintTests {
    static let key = Array(UInt8(1)...UInt8(32))

    @Test func knownAnswerAndNormalization() throws {
        let fingerprinter = try CardFingerprinter(key: Self.key)
        // HMAC-SHA256(key 01..20, "4242424242424242"), computed independently with Python's hmac module.
        let expected = "cf_c9a10372cd970db7db286478c0bc8cd1049020383ff74026d7a441d11704b9a4"
        #expect(fingerprinter.fingerprint(cardNumber: "4242424242424242") == expected)
        #expect(fingerprinter.fingerprint(cardNumber: "4242 4242 4242 4242") == expected)
        #expect(fingerprinter.fingerprint(cardNumber: "4242-4242-4242-4242") == expected)
        #expect(fingerprinter.fingerprint(cardNumber: "4000056655665556") != expected)
    }

    @Test func theKeyMattersAndTheNumberNeverShows() throws {
        let first = try CardFingerprinter(key: Self.key)
        let second = try CardFingerprinter(hexKey: String(repeating: "ab", count: 32))
        let number = "5555555555554444"
        let a = try #require(first.fingerprint(cardNumber: number)), b = try #require(second.fingerprint(cardNumber: number))
        #expect(a != b)
        #expect(a.count == 67)
        #expect(!a.contains("4444") || !a.contains("5555555555554444"))
        #expect(!a.contains(number))
    }

    @Test func badInputAndKeys() throws {
        let fingerprinter = try CardFingerprinter(key: Self.key)
        for bad in ["", "4242", "4242x4242424242424", "42424242424242424242", "４２４２４２４２４２４２４２４２"] {
            #expect(fingerprinter.fingerprint(cardNumber: bad) == nil, "\(bad)")
        }
        #expect(throws: CardFingerprinter.KeyError.tooShort(bytes: 16)) { try CardFingerprinter(key: Array(repeating: 7, count: 16)) }
        #expect(throws: CardFingerprinter.KeyError.notHex) { try CardFingerprinter(hexKey: "zz" + String(repeating: "00", count: 31)) }
        #expect(throws: CardFingerprinter.KeyError.notHex) { try CardFingerprinter(hexKey: "abc") }
    }
}

@Suite("Device fingerprints")
struct DeviceFingerprintTests {
    static var laptop: BrowserAttributes {
        var a = BrowserAttributes()
        a.userAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36"
        a.platform = "MacIntel"
        a.languages = ["en-GB", "en", "de"]
        a.timezone = "Europe/London"
        a.screenWidth = 1_512
        a.screenHeight = 982
        a.colorDepth = 30
        a.hardwareConcurrency = 10
        a.deviceMemoryGB = 8
        a.canvasHash = "c4f1e2"
        a.webglHash = "9ab0d7"
        a.fonts = ["Arial", "Helvetica", "Menlo"]
        a.touchPoints = 0
        a.cookieID = "ck_123"
        return a
    }

    /// (what changed, the change, device kept?, device.browser kept?)
    static let changes: [(String, @Sendable (inout BrowserAttributes) -> Void, Bool, Bool)] = [
        ("browser patch update", { $0.userAgent = $0.userAgent!.replacingOccurrences(of: "120.0.6099.109", with: "120.0.6099.216") }, true, true),
        ("OS patch update", { $0.userAgent = $0.userAgent!.replacingOccurrences(of: "10_15_7", with: "10_15_8") }, true, true),
        ("browser major update", { $0.userAgent = $0.userAgent!.replacingOccurrences(of: "Chrome/120", with: "Chrome/121") }, true, false),
        ("another browser", { $0.userAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0" }, true, false),
        ("languages reordered, recased", { $0.languages = ["DE", "en", "en-gb", "en"] }, true, true),
        ("a language added", { $0.languages = ["en-GB", "en", "de", "fr"] }, true, false),
        ("fonts reordered, recased", { $0.fonts = ["menlo", "ARIAL", "Helvetica"] }, true, true),
        ("a font installed", { $0.fonts = ["Arial", "Helvetica", "Menlo", "Fira Code"] }, true, false),
        ("screen rotated", { swap(&$0.screenWidth, &$0.screenHeight) }, true, true),
        ("cookies cleared", { $0.cookieID = "ck_999" }, true, true),
        ("spaces around the platform", { $0.platform = "  MacIntel " }, true, true),
        ("another screen", { $0.screenWidth = 2_560; $0.screenHeight = 1_440 }, false, false),
        ("another graphics card (canvas)", { $0.canvasHash = "77aa01" }, false, false),
        ("another WebGL renderer", { $0.webglHash = "000001" }, false, false),
        ("another timezone", { $0.timezone = "America/New_York" }, false, false),
        ("more memory", { $0.deviceMemoryGB = 16 }, false, false),
        ("another platform", { $0.platform = "Win32" }, false, false),
    ]

    @Test func whichChangesKeepWhichLevel() {
        let base = DeviceFingerprint(Self.laptop)
        #expect(base.device.hasPrefix("dv_") && base.device.count == 19)
        #expect(base.browser.hasPrefix("db_") && base.browser.count == 19)
        #expect(DeviceFingerprint(Self.laptop) == base, "stable for the same attributes")
        for (name, change, keepsDevice, keepsBrowser) in Self.changes {
            var attributes = Self.laptop
            change(&attributes)
            let changed = DeviceFingerprint(attributes)
            #expect((changed.device == base.device) == keepsDevice, "\(name): device \(keepsDevice ? "kept" : "changed") expected")
            #expect((changed.browser == base.browser) == keepsBrowser, "\(name): device.browser \(keepsBrowser ? "kept" : "changed") expected")
        }
    }

    @Test func userAgentVersionsCutToTheMajor() {
        #expect(UserAgent.familyAndMajor("Chrome/120.0.6099.109") == "chrome/120")
        #expect(UserAgent.familyAndMajor("Intel Mac OS X 10_15_7)") == "intel mac os x 10)")
        #expect(UserAgent.familyAndMajor("Version/17.2 Safari/605.1.15") == "version/17 safari/605")
        #expect(UserAgent.familyAndMajor("x86_64") == "x86_64")
    }
}

@Suite("GeoIP country")
struct GeoIPCountryTests {
    static let present = FileManager.default.fileExists(atPath: GeoIPCountry.debianIPv4Path)

    @Test(.enabled(if: present, "skipped: Debian's geoip-database is not installed (make deps installs it)"))
    func ipv4AndIPv6() throws {
        let geo = try GeoIPCountry()
        #expect(geo.country(of: "8.8.8.8") == "US")
        #expect(geo.country(of: " 8.8.4.4 ") == "US")
        #expect(geo.country(of: "2001:4860:4860::8888") == "US")
        #expect(geo.country(of: "10.1.2.3") == nil, "private addresses have no country")
        #expect(geo.country(of: "127.0.0.1") == nil)
        for bad in ["", "8.8.8", "8.8.8.8.8", "999.1.1.1", "not an ip", "2001:::1", "::g"] {
            #expect(geo.country(of: bad) == nil, "\(bad)")
        }
    }

    @Test func aMissingDatabaseIsAClearError() {
        #expect(throws: GeoIPCountry.OpenError.self) { try GeoIPCountry(ipv4Path: "/nonexistent/GeoIP.dat", ipv6Path: nil) }
    }
}
