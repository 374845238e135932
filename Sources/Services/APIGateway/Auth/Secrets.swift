import CSICCore
import Crypto
import Foundation

/// High-entropy secrets handed to clients (API keys, refresh tokens): random bytes, kept by the platform only
/// as their SHA-256, compared in constant time.
public enum Secrets {
    /// `count` random bytes as unpadded base64url.
    static func random(bytes count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return base64URL(bytes)
    }

    /// `count` characters drawn uniformly from `alphabet`.
    static func random(from alphabet: String, count: Int) -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters[Int(generator.next(upperBound: UInt32(characters.count)))] })
    }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func sha256(_ text: String) -> String {
        Hex.encode(Array(SHA256.hash(data: Array(text.utf8))))
    }

    /// Equal strings, in time that depends only on their lengths.
    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let left = Array(left.utf8)
        let right = Array(right.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// An API key: `csic_<16 hex id>_<43 base64url secret>`. The id names the key in lists and audit records; the
/// secret is shown once and stored as its SHA-256.
struct APIKeyText: Sendable, Equatable {
    static let prefix = "csic_"
    var id: String
    var secret: String

    static func make() -> APIKeyText {
        var generator = SystemRandomNumberGenerator()
        let id = Hex.encode((0..<8).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return APIKeyText(id: id, secret: Secrets.random())
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Parses a presented key; `nil` when it does not have the shape of one.
    init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), text.utf8.count == 5 + 16 + 1 + 43 else { return nil }
        let rest = text.dropFirst(Self.prefix.count)
        let id = String(rest.prefix(16))
        guard id.allSatisfy(\.isHexDigit), rest.dropFirst(16).first == "_" else { return nil }
        self.id = id
        secret = String(rest.dropFirst(17))
    }

    var text: String { Self.prefix + id + "_" + secret }
}
