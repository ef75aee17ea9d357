import CXXHash

/// What a checkout page collects about the browser, as sent to the API.
public struct BrowserAttributes: Sendable, Hashable, Codable {
    public var userAgent: String?
    public var platform: String?
    public var languages: [String]?
    public var timezone: String?
    public var screenWidth: Int?
    public var screenHeight: Int?
    public var colorDepth: Int?
    public var hardwareConcurrency: Int?
    public var deviceMemoryGB: Double?
    public var canvasHash: String?
    public var webglHash: String?
    public var fonts: [String]?
    public var touchPoints: Int?
    public var cookieID: String?

    public init() {}
}

/// Device fingerprints at two levels, each an XXH3 hash of normalized attributes:
///
/// - `device` (the machine): platform, screen (either orientation), colour
///   depth, cores, memory, canvas and WebGL hashes, timezone, touch. A browser
///   update, another browser on the same machine, new fonts or languages keep it.
/// - `device.browser` (one browser on it): `device` plus the browser family and
///   major version, languages and fonts. Minor version updates keep it.
///
/// Normalization drops what changes without the device changing: version parts
/// after the major, letter case, list order and duplicates, surrounding space.
/// The cookie id is not hashed (clearing cookies must not make a new device);
/// it is reported as is. Missing attributes hash as empty, so a fingerprint
/// with fewer attributes is a different (less specific) device.
public struct DeviceFingerprint: Sendable, Hashable {
    public let device: String
    public let browser: String

    public init(_ attributes: BrowserAttributes) {
        let normalized = NormalizedAttributes(attributes)
        let machine = [
            "platform=" + normalized.platform,
            "screen=" + normalized.screen,
            "depth=" + normalized.colorDepth,
            "cores=" + normalized.cores,
            "memory=" + normalized.memory,
            "canvas=" + normalized.canvas,
            "webgl=" + normalized.webgl,
            "tz=" + normalized.timezone,
            "touch=" + normalized.touch,
        ]
        let browserParts = machine + [
            "ua=" + normalized.browserFamily,
            "lang=" + normalized.languages,
            "fonts=" + normalized.fonts,
        ]
        device = "dv_" + DeviceFingerprint.hash(machine)
        browser = "db_" + DeviceFingerprint.hash(browserParts)
    }

    static func hash(_ parts: [String]) -> String {
        var text = parts.joined(separator: "\n")
        let value = text.withUTF8 { XXH3_64bits($0.baseAddress, $0.count) }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The attributes in canonical text form (see `DeviceFingerprint`).
struct NormalizedAttributes {
    let platform, screen, colorDepth, cores, memory, canvas, webgl, timezone, touch: String
    let browserFamily, languages, fonts: String

    init(_ a: BrowserAttributes) {
        func clean(_ text: String?) -> String { (text ?? "").trimmed.lowercased() }
        platform = clean(a.platform)
        if let width = a.screenWidth, let height = a.screenHeight {
            screen = "\(max(width, height))x\(min(width, height))"
        } else {
            screen = ""
        }
        colorDepth = a.colorDepth.map(String.init) ?? ""
        cores = a.hardwareConcurrency.map(String.init) ?? ""
        memory = a.deviceMemoryGB.map { String($0) } ?? ""
        canvas = clean(a.canvasHash)
        webgl = clean(a.webglHash)
        timezone = clean(a.timezone)
        touch = a.touchPoints.map { $0 > 0 ? "yes" : "no" } ?? ""
        browserFamily = UserAgent.familyAndMajor(a.userAgent ?? "")
        languages = Set((a.languages ?? []).map { clean($0) }.filter { !$0.isEmpty }).sorted().joined(separator: ",")
        fonts = Set((a.fonts ?? []).map { clean($0) }.filter { !$0.isEmpty }).sorted().joined(separator: ",")
    }
}

/// The stable part of a user agent: lower-cased, every version cut to its
/// major number ("Chrome/120.0.6099.109" → "chrome/120", "Mac OS X 10_15_7" →
/// "mac os x 10").
enum UserAgent {
    static func familyAndMajor(_ userAgent: String) -> String {
        var output: [UInt8] = []
        let bytes = Array(userAgent.trimmed.lowercased().utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            output.append(byte)
            index += 1
            // A version starts with a digit after a separator ("chrome/120", "os x 10"), not inside a word ("x86_64").
            let startsVersion = isDigit(byte) && (index == 1 || !isLetterOrDigit(bytes[index - 2]))
            guard startsVersion else { continue }
            // After the first number of a version, skip ".6099.109" / "_15_7".
            while index < bytes.count && isDigit(bytes[index]) {
                output.append(bytes[index])
                index += 1
            }
            while index + 1 < bytes.count && (bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "_")) && isDigit(bytes[index + 1]) {
                index += 1
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }
}

extension String {
    var trimmed: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
