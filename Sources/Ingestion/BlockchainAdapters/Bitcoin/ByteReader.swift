/// Why raw Bitcoin bytes were rejected. Every failed parse or check is one of these, with where it happened.
public struct BitcoinDataError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case truncated, oversized, trailingBytes, malformed
        case noTransactions, firstNotCoinbase, extraCoinbase
        case merkleRootMismatch, mutatedMerkleTree, duplicateTransaction
        case missingWitnessCommitment, witnessCommitmentMismatch, unexpectedWitness
        case invalidTarget, insufficientProofOfWork
        case valueOutOfRange
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// A cursor over serialized Bitcoin data (little-endian integers, CompactSize counts).
struct ByteReader: ~Copyable {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    private func need(_ count: Int, _ what: StaticString) throws(BitcoinDataError) {
        guard count <= remaining else {
            throw BitcoinDataError(.truncated, "\(what) needs \(count) bytes at offset \(offset), \(remaining) left")
        }
    }

    mutating func skip(_ count: Int, _ what: StaticString) throws(BitcoinDataError) {
        try need(count, what)
        offset += count
    }

    /// The next `count` bytes as a range of `bytes`.
    mutating func range(_ count: Int, _ what: StaticString) throws(BitcoinDataError) -> Range<Int> {
        try need(count, what)
        defer { offset += count }
        return offset..<offset + count
    }

    mutating func byte(_ what: StaticString) throws(BitcoinDataError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint32(_ what: StaticString) throws(BitcoinDataError) -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func uint64(_ what: StaticString) throws(BitcoinDataError) -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func hash(_ what: StaticString) throws(BitcoinDataError) -> Hash256 {
        try need(32, what)
        defer { offset += 32 }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 32])) }
        return Hash256(words: words)
    }

    /// A CompactSize count, bounded by `limit` so that a corrupt count cannot ask for absurd allocations.
    mutating func count(_ what: StaticString, limit: Int) throws(BitcoinDataError) -> Int {
        let first = try byte(what)
        let value: UInt64
        switch first {
        case 0xFD: value = UInt64(try uint16(what))
        case 0xFE: value = UInt64(try uint32(what))
        case 0xFF: value = try uint64(what)
        default: value = UInt64(first)
        }
        guard value <= UInt64(limit) else {
            throw BitcoinDataError(.oversized, "\(what) count \(value) exceeds \(limit) at offset \(offset)")
        }
        return Int(value)
    }

    private mutating func uint16(_ what: StaticString) throws(BitcoinDataError) -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
