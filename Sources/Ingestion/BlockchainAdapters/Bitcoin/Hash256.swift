import CSICCore
import Crypto

/// A 32-byte double-SHA-256 hash (txid, wtxid, block hash, merkle node) in the byte order it is computed in.
/// Bitcoin shows these hashes byte-reversed: `hex` is that display form.
public struct Hash256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The bytes as four little-endian words: equality and hashing compare four integers, no allocation.
    var words: (UInt64, UInt64, UInt64, UInt64)

    public static let zero = Hash256(words: (0, 0, 0, 0))

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The hash whose internal bytes are `bytes` (32 of them).
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "a Hash256 has 32 bytes")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        self.words = words
    }

    /// The hash shown as `hex` (display order, i.e. reversed), or `nil` if it is not 64 hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes.reversed())
    }

    /// The internal byte order (as hashed and serialized).
    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }

    /// Display order: the bytes reversed, lowercase hex, as Bitcoin Core prints txids and block hashes.
    public var hex: String { Hex.encode(bytes.reversed()) }

    public var description: String { hex }

    public static func == (lhs: Hash256, rhs: Hash256) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Compares as 256-bit little-endian numbers (the proof-of-work order).
    public static func < (lhs: Hash256, rhs: Hash256) -> Bool {
        (lhs.words.3, lhs.words.2, lhs.words.1, lhs.words.0) < (rhs.words.3, rhs.words.2, rhs.words.1, rhs.words.0)
    }

    /// SHA-256d of `bytes`.
    public static func doubleSHA256(_ bytes: UnsafeRawBufferPointer) -> Hash256 {
        Hash256(finishing: SHA256.hash(data: bytes))
    }

    /// SHA-256d of `bytes`.
    public static func doubleSHA256(_ bytes: [UInt8]) -> Hash256 {
        bytes.withUnsafeBytes { doubleSHA256($0) }
    }

    /// SHA-256d of the concatenation of `parts`, without copying them together.
    public static func doubleSHA256(parts: UnsafeRawBufferPointer...) -> Hash256 {
        var hasher = SHA256()
        for part in parts { hasher.update(bufferPointer: part) }
        return Hash256(finishing: hasher.finalize())
    }

    /// The second SHA-256 over a first digest.
    private init(finishing first: SHA256.Digest) {
        let second = first.withUnsafeBytes { SHA256.hash(data: $0) }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        second.withUnsafeBytes { source in
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) }
        }
        self.words = words
    }
}

/// Bitcoin's HASH160: RIPEMD-160 of SHA-256.
public func hash160(_ bytes: some Collection<UInt8>) -> [UInt8] {
    RIPEMD160.hash(Array(SHA256.hash(data: Array(bytes))))
}
