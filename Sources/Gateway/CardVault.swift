import TollgateCore
import COpenSSL
import Foundation

/// Card numbers encrypted at rest with AES-256-GCM (OpenSSL): a fresh 12-byte
/// nonce per card, the payment method's id as additional data (a ciphertext
/// moved to another row does not decrypt), the 16-byte tag checked on the way
/// back. Stored as nonce ‖ ciphertext ‖ tag. The key never leaves memory.
public final class CardVault: Sendable {
    public static let keyBytes = 32
    static let nonceBytes = 12
    static let tagBytes = 16

    public enum VaultError: Error, Equatable, CustomStringConvertible {
        case badKey(String)
        case tampered

        public var description: String {
            switch self {
            case .badKey(let why): "the vault key \(why)"
            case .tampered: "a stored card failed authentication (wrong key or altered data)"
            }
        }
    }

    private let key: [UInt8]

    public init(key: [UInt8]) throws(VaultError) {
        guard key.count == Self.keyBytes else { throw .badKey("must be \(Self.keyBytes) bytes, not \(key.count)") }
        self.key = key
    }

    /// The key from `hex` (64 hex digits).
    public convenience init(hexKey hex: String) throws(VaultError) {
        guard let bytes = KeyMaterial.bytes(hex: hex) else { throw .badKey("must be 64 hex digits") }
        try self.init(key: bytes)
    }

    public func encrypt(_ plaintext: [UInt8], associatedData: String) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Self.nonceBytes)
        precondition(RAND_bytes(&nonce, Int32(nonce.count)) == 1, "the OS random generator failed")
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: Self.tagBytes)
        let aad = Array(associatedData.utf8)
        let context = EVP_CIPHER_CTX_new()!
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0, total: Int32 = 0
        precondition(EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1)
        precondition(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(Self.nonceBytes), nil) == 1)
        precondition(EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1)
        precondition(EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1)
        precondition(EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1)
        total = length
        precondition(ciphertext.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context, $0.baseAddress! + Int(total), &length) } == 1)
        total += length
        precondition(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagBytes), &tag) == 1)
        return nonce + ciphertext.prefix(Int(total)) + tag
    }

    public func decrypt(_ sealed: [UInt8], associatedData: String) throws(VaultError) -> [UInt8] {
        guard sealed.count >= Self.nonceBytes + Self.tagBytes else { throw .tampered }
        let nonce = Array(sealed.prefix(Self.nonceBytes))
        let ciphertext = Array(sealed[Self.nonceBytes..<(sealed.count - Self.tagBytes)])
        var tag = Array(sealed.suffix(Self.tagBytes))
        let aad = Array(associatedData.utf8)
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        let context = EVP_CIPHER_CTX_new()!
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(Self.nonceBytes), nil) == 1,
              EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1,
              EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1,
              EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else { throw .tampered }
        let written = length
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagBytes), &tag) == 1,
              plaintext.withUnsafeMutableBufferPointer({ EVP_DecryptFinal_ex(context, $0.baseAddress! + Int(written), &length) }) == 1 else {
            throw .tampered
        }
        return Array(plaintext.prefix(Int(written + length)))
    }
}

/// Secret keys from the environment (hex) or a key file under the data
/// directory, created on first use with owner-only permissions.
public enum KeyMaterial {
    public static func bytes(hex: String) -> [UInt8]? {
        let text = Array(hex.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        return text.isEmpty ? nil : Hex.decode(text)
    }

    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }

    /// `environment` when set, else the key in `path` (made, 0600, when absent).
    public static func load(environment value: String?, path: String, bytes count: Int) throws -> [UInt8] {
        if let value { return try checked(bytes(hex: value), count, source: "the environment") }
        if let text = try? String(contentsOfFile: path, encoding: .utf8) { return try checked(bytes(hex: text), count, source: path) }
        var fresh = [UInt8](repeating: 0, count: count)
        precondition(RAND_bytes(&fresh, Int32(count)) == 1, "the OS random generator failed")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw KeyError(message: "cannot create \(path): \(String(cString: strerror(errno)))") }
        let text = Array((hex(fresh) + "\n").utf8)
        let written = write(descriptor, text, text.count)
        fsync(descriptor)
        close(descriptor)
        guard written == text.count else { throw KeyError(message: "cannot write \(path)") }
        return fresh
    }

    public struct KeyError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    private static func checked(_ bytes: [UInt8]?, _ count: Int, source: String) throws -> [UInt8] {
        guard let bytes, bytes.count == count else { throw KeyError(message: "the key in \(source) must be \(count * 2) hex digits") }
        return bytes
    }
}
