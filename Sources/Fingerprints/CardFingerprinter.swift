import COpenSSL
import Foundation

/// The keyed fingerprint of a card number: HMAC-SHA256 under a secret key,
/// hex-encoded. Stable for one key (so counters and lists can use it), not
/// reversible without the key (a plain hash of a 16-digit PAN could be brute
/// forced: the key is what protects it). Only the fingerprint may reach
/// counters, logs and outputs; never the number.
public struct CardFingerprinter: Sendable {
    public static let keyBytesMin = 32
    private let key: [UInt8]

    public enum KeyError: Error, Equatable, CustomStringConvertible {
        case tooShort(bytes: Int)
        case notHex

        public var description: String {
            switch self {
            case .tooShort(let bytes): "the card fingerprint key has \(bytes) bytes; it needs at least \(CardFingerprinter.keyBytesMin)"
            case .notHex: "the card fingerprint key must be hex (64 hex digits for 32 bytes)"
            }
        }
    }

    public init(key: [UInt8]) throws(KeyError) {
        guard key.count >= Self.keyBytesMin else { throw .tooShort(bytes: key.count) }
        self.key = key
    }

    /// A key given as hex text (e.g. from the environment or a key file).
    public init(hexKey: String) throws(KeyError) {
        let trimmed = hexKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count % 2 == 0 else { throw .notHex }
        var bytes: [UInt8] = []
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            let next = trimmed.index(index, offsetBy: 2)
            guard let byte = UInt8(trimmed[index..<next], radix: 16) else { throw .notHex }
            bytes.append(byte)
            index = next
        }
        try self.init(key: bytes)
    }

    /// The card number's digits, with spaces and dashes dropped; nil when
    /// anything else is left or the length is not a card's (12–19 digits).
    public static func normalizedNumber(_ number: String) -> [UInt8]? {
        var digits: [UInt8] = []
        for byte in number.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits.append(byte)
            } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
                return nil
            }
        }
        return (12...19).contains(digits.count) ? digits : nil
    }

    /// "cf_" + 64 hex digits of HMAC-SHA256(key, digits); nil when `number` is not a card number.
    public func fingerprint(cardNumber number: String) -> String? {
        guard var digits = Self.normalizedNumber(number) else { return nil }
        defer { for index in digits.indices { digits[index] = 0 } }
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBytes { keyBytes in
            digits.withUnsafeBytes { message in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), message.bindMemory(to: UInt8.self).baseAddress,
                     message.count, &mac, &length)
            }
        }
        guard ok != nil, length == 32 else { return nil }
        let hex = Array("0123456789abcdef".utf8)
        var text = Array("cf_".utf8)
        for byte in mac.prefix(Int(length)) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
