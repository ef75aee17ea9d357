import COpenSSL
import Foundation

/// Random tokens, ids and secret hashes. API keys are stored only as their
/// SHA-256 and compared in constant time.
enum Secrets {
    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `prefix` + `length` random base62 characters from the OS generator (OpenSSL RAND_bytes).
    static func token(prefix: String, length: Int = 24) -> String {
        var bytes = [UInt8](repeating: 0, count: length * 2)
        precondition(RAND_bytes(&bytes, Int32(bytes.count)) == 1, "the OS random generator failed")
        var text = Array(prefix.utf8)
        // 248 = 4 × 62: rejecting bytes ≥ 248 keeps every character equally likely.
        var index = 0
        while text.count < prefix.utf8.count + length {
            if index == bytes.count {
                precondition(RAND_bytes(&bytes, Int32(bytes.count)) == 1, "the OS random generator failed")
                index = 0
            }
            let byte = bytes[index]
            index += 1
            if byte < 248 { text.append(base62[Int(byte % 62)]) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func sha256Hex(_ text: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let bytes = Array(text.utf8)
        precondition(EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1, "SHA-256 failed")
        return KeyMaterial.hex(digest)
    }

    /// Equal strings of equal length, compared without an early exit.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return CRYPTO_memcmp(left, right, left.count) == 0
    }
}
