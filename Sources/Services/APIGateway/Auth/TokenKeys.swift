import CSICCore
import Crypto
import DurableFiles
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The Ed25519 keys that sign access tokens: `<data_dir>/auth/keys/<kid>.json` (mode 0600, in a 0700
/// directory), the first made on first start like the audit key. The newest signs; a key replaced by a newer
/// one still verifies for one token lifetime, so rotating never invalidates a token already issued.
public struct TokenKeys: Sendable {
    /// One key: its id, when it was made, and its private key.
    public struct Key: Sendable, Codable, Hashable {
        public var kid: String
        public var createdAt: Timestamp
        /// The Ed25519 private key, raw 32 bytes as base64url.
        var privateKey: String

        enum CodingKeys: String, CodingKey {
            case kid
            case createdAt = "created_at"
            case privateKey = "private_key"
        }

        var signingKey: Curve25519.Signing.PrivateKey {
            get throws {
                guard let data = Data(base64URL: privateKey) else { throw TokenKeyError("key \(kid) is not base64url") }
                return try Curve25519.Signing.PrivateKey(rawRepresentation: data)
            }
        }
    }

    public let directory: String
    /// Every key on disk, oldest first.
    public let keys: [Key]

    /// The keys in `directory`, making the first (dated `time`) when there is none.
    public static func load(directory: String, at time: Timestamp) throws -> TokenKeys {
        let keys = try read(directory)
        guard keys.isEmpty else { return TokenKeys(directory: directory, keys: keys) }
        return try rotate(directory: directory, at: time)
    }

    /// Makes a new signing key; the others stay for verification.
    public static func rotate(directory: String, at time: Timestamp) throws -> TokenKeys {
        try FileIO.makeDirectory(directory)
        guard chmod(directory, 0o700) == 0 else { throw TokenKeyError("cannot make \(directory) private") }
        let signing = Curve25519.Signing.PrivateKey()
        let kid = Hex.encode(Array(SHA256.hash(data: signing.publicKey.rawRepresentation).prefix(8)))
        let key = Key(kid: kid, createdAt: time, privateKey: Secrets.base64URL(signing.rawRepresentation))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let path = "\(directory)/\(kid).json"
        try DurableFile.write(Array(try encoder.encode(key)), to: path)
        guard chmod(path, 0o600) == 0 else { throw TokenKeyError("cannot make \(path) private") }
        return TokenKeys(directory: directory, keys: try read(directory))
    }

    private static func read(_ directory: String) throws -> [Key] {
        try FileIO.list(directory).filter { $0.hasSuffix(".json") }.map { name in
            guard let bytes = try DurableFile.read("\(directory)/\(name)") else { throw TokenKeyError("\(name) vanished") }
            do {
                return try JSONDecoder().decode(Key.self, from: Data(bytes))
            } catch {
                throw TokenKeyError("\(directory)/\(name) is not a token key: \(error)")
            }
        }.sorted { ($0.createdAt, $0.kid) < ($1.createdAt, $1.kid) }
    }

    /// The key that signs new tokens.
    public var current: Key { keys[keys.count - 1] }

    /// The keys whose tokens may still be valid at `time`: the current one, and each older one until a token
    /// lifetime after the next key replaced it.
    public func verifying(at time: Timestamp, tokenSeconds: Int) -> [Key] {
        keys.indices.filter { index in
            index == keys.count - 1
                || keys[index + 1].createdAt.microsecondsSinceEpoch + Int64(tokenSeconds) * 1_000_000 > time.microsecondsSinceEpoch
        }.map { keys[$0] }
    }
}

/// A token key that cannot be read or written.
public struct TokenKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Data {
    /// Decodes unpadded base64url (RFC 4648 §5).
    public init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") || text.isEmpty else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
