import CSICCore
import Crypto
import Foundation

/// A 32-byte SHA-256 value of the audit log's Merkle tree (RFC 9162 section 2.1), stored inline.
public struct TreeHash: Hashable, Sendable, CustomStringConvertible {
    var words: (UInt64, UInt64, UInt64, UInt64)

    /// The hash whose bytes are `bytes` (exactly 32 of them), or `nil`.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        self.words = words
    }

    /// The hash in the first 32 bytes of `raw`.
    init(raw: UnsafeRawBufferPointer) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[raw.startIndex..<raw.startIndex + 32]))
        }
        self.words = words
    }

    init(digest: SHA256.Digest) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { source in withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) } }
        self.words = words
    }

    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }

    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    public static func == (lhs: TreeHash, rhs: TreeHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    /// SHA-256 of nothing: the root of the empty tree.
    public static let empty = TreeHash(digest: SHA256.hash(data: [UInt8]()))

    /// `SHA-256(0x00 || entry)`: the hash of a leaf.
    public static func leaf(_ entry: some Collection<UInt8>) -> TreeHash {
        if let hash = entry.withContiguousStorageIfAvailable({ leaf(raw: UnsafeRawBufferPointer($0)) }) { return hash }
        return Array(entry).withUnsafeBytes { leaf(raw: $0) }
    }

    /// `SHA-256(0x00 || entry)` of bytes in memory.
    static func leaf(raw entry: UnsafeRawBufferPointer) -> TreeHash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: entry)
        return TreeHash(digest: hasher.finalize())
    }

    /// Whether `hex` (64 lowercase hex digits) spells this hash.
    func matches(hex: UnsafeRawBufferPointer) -> Bool {
        guard hex.count == 64 else { return false }
        return withUnsafeBytes(of: words) { bytes in
            for index in 0..<32 {
                let byte = bytes[index]
                guard hex[2 * index] == TreeHash.digits[Int(byte >> 4)], hex[2 * index + 1] == TreeHash.digits[Int(byte & 0x0f)] else {
                    return false
                }
            }
            return true
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// `SHA-256(0x01 || left || right)`: the hash of an interior node.
    public static func node(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = 0x01
            withUnsafeBytes(of: left.words) { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            withUnsafeBytes(of: right.words) { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
            return TreeHash(digest: SHA256.hash(data: UnsafeRawBufferPointer(buffer)))
        }
    }
}

/// SHA-256 of a whole buffer, as hex-ready bytes.
enum SHA256Hasher {
    static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
