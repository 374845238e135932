/// The 80-byte block header.
public struct BitcoinBlockHeader: Sendable, Hashable {
    public var version: Int32
    public var previousBlockHash: Hash256
    public var merkleRoot: Hash256
    public var time: UInt32
    /// The compact difficulty target.
    public var bits: UInt32
    public var nonce: UInt32
    /// SHA-256d of the 80 header bytes.
    public var hash: Hash256

    static func parse(_ reader: inout ByteReader) throws(BitcoinDataError) -> BitcoinBlockHeader {
        let start = reader.offset
        let version = Int32(bitPattern: try reader.uint32("block version"))
        let previous = try reader.hash("previous block hash")
        let merkleRoot = try reader.hash("merkle root")
        let time = try reader.uint32("block time")
        let bits = try reader.uint32("bits")
        let nonce = try reader.uint32("nonce")
        let hash = Hash256.doubleSHA256(UnsafeRawBufferPointer(rebasing: reader.bytes[start..<start + 80]))
        return BitcoinBlockHeader(
            version: version, previousBlockHash: previous, merkleRoot: merkleRoot, time: time, bits: bits, nonce: nonce, hash: hash)
    }
}

/// A block parsed from its raw serialization, with every transaction hashed. Scripts and witness items are
/// ranges of `bytes`.
public struct BitcoinBlock: Sendable {
    public let bytes: [UInt8]
    public let header: BitcoinBlockHeader
    public let transactions: [BitcoinTransaction]

    /// Parses `bytes` (exactly one block, nothing after it). Throws on truncation, bad counts or trailing
    /// bytes; the consensus checks are separate (`verify()`), so a block can be inspected even when it fails them.
    public init(bytes: [UInt8]) throws(BitcoinDataError) {
        self.bytes = bytes
        let parsed = bytes.withUnsafeBytes { raw in Result { () throws(BitcoinDataError) in try Self.parse(raw) } }
        (header, transactions) = try parsed.get()
    }

    private static func parse(_ raw: UnsafeRawBufferPointer) throws(BitcoinDataError) -> (BitcoinBlockHeader, [BitcoinTransaction]) {
        var reader = ByteReader(raw)
        let header = try BitcoinBlockHeader.parse(&reader)
        let count = try reader.count("transaction", limit: BitcoinTransaction.maximumCount)
        var transactions: [BitcoinTransaction] = []
        transactions.reserveCapacity(count)
        for _ in 0..<count { transactions.append(try BitcoinTransaction.parse(&reader)) }
        guard reader.remaining == 0 else {
            throw BitcoinDataError(.trailingBytes, "\(reader.remaining) bytes after the last transaction at offset \(reader.offset)")
        }
        return (header, transactions)
    }

    /// The bytes of a range of the block (a script or witness item).
    public subscript(range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

    public var size: Int { bytes.count }
    public var weight: Int {
        80 * 4 + (bytes.count - 80 - transactions.reduce(0) { $0 + $1.size }) * 4 + transactions.reduce(0) { $0 + $1.weight }
    }
}
