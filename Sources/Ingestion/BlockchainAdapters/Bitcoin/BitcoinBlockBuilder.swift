/// A transaction to serialize: what `BitcoinBlockBuilder` and test nodes assemble blocks from.
public struct BitcoinTransactionDraft: Sendable, Hashable {
    public struct Input: Sendable, Hashable {
        public var previousTxid: Hash256
        public var previousIndex: UInt32
        public var scriptSig: [UInt8]
        public var sequence: UInt32
        public var witness: [[UInt8]]

        public init(
            previousTxid: Hash256, previousIndex: UInt32, scriptSig: [UInt8] = [], sequence: UInt32 = 0xFFFF_FFFF, witness: [[UInt8]] = []
        ) {
            self.previousTxid = previousTxid
            self.previousIndex = previousIndex
            self.scriptSig = scriptSig
            self.sequence = sequence
            self.witness = witness
        }
    }

    public var version: UInt32
    public var inputs: [Input]
    public var outputs: [(value: UInt64, script: [UInt8])]
    public var lockTime: UInt32

    public init(version: UInt32 = 2, inputs: [Input], outputs: [(value: UInt64, script: [UInt8])], lockTime: UInt32 = 0) {
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.lockTime = lockTime
    }

    public var hasWitness: Bool { inputs.contains { !$0.witness.isEmpty } }

    /// The serialization; BIP144's marker, flag and witnesses only with `witness` and a non-empty witness.
    public func serialized(witness: Bool = true) -> [UInt8] {
        let withWitness = witness && hasWitness
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(version)
        if withWitness { bytes += [0, 1] }
        bytes.appendCompactSize(inputs.count)
        for input in inputs {
            bytes += input.previousTxid.bytes
            bytes.appendLittleEndian(input.previousIndex)
            bytes.appendCompactSize(input.scriptSig.count)
            bytes += input.scriptSig
            bytes.appendLittleEndian(input.sequence)
        }
        bytes.appendCompactSize(outputs.count)
        for output in outputs {
            bytes.appendLittleEndian(output.value)
            bytes.appendCompactSize(output.script.count)
            bytes += output.script
        }
        if withWitness {
            for input in inputs {
                bytes.appendCompactSize(input.witness.count)
                for item in input.witness {
                    bytes.appendCompactSize(item.count)
                    bytes += item
                }
            }
        }
        bytes.appendLittleEndian(lockTime)
        return bytes
    }

    public var txid: Hash256 { Hash256.doubleSHA256(serialized(witness: false)) }
    public var wtxid: Hash256 { Hash256.doubleSHA256(serialized()) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.serialized() == rhs.serialized() }
    public func hash(into hasher: inout Hasher) { hasher.combine(serialized()) }
}

/// Assembles valid blocks: a coinbase paying `reward` to `payout` (with the BIP34 height and, when any
/// transaction has a witness, the BIP141 commitment), the merkle root, and a nonce meeting `bits`.
/// Meant for regtest-difficulty targets (test nodes, benchmarks); at mainnet difficulty it would grind forever.
public enum BitcoinBlockBuilder {
    public static func block(
        previous: Hash256, height: Int, time: UInt32, bits: UInt32 = 0x207F_FFFF,
        reward: UInt64 = 312_500_000, payout: [UInt8], transactions: [BitcoinTransactionDraft]
    ) throws(BitcoinDataError) -> [UInt8] {
        let witnessed = transactions.contains(where: \.hasWitness)
        let reserved = [UInt8](repeating: 0, count: 32)
        var heightPush = withUnsafeBytes(of: UInt32(height).littleEndian) { Array($0) }
        while heightPush.count > 1, heightPush.last == 0, heightPush[heightPush.count - 2] & 0x80 == 0 { heightPush.removeLast() }
        var coinbase = BitcoinTransactionDraft(
            inputs: [
                .init(
                    previousTxid: .zero, previousIndex: .max, scriptSig: [UInt8(heightPush.count)] + heightPush + Array("csic".utf8),
                    witness: witnessed ? [reserved] : [])
            ],
            outputs: [(reward, payout)])
        if witnessed {
            let (witnessRoot, _) = BitcoinBlock.merkleRoot([.zero] + transactions.map(\.wtxid))
            let commitment = Hash256.doubleSHA256(witnessRoot.bytes + reserved)
            coinbase.outputs.append((0, [0x6A, 0x24, 0xAA, 0x21, 0xA9, 0xED] + commitment.bytes))
        }
        let all = [coinbase] + transactions
        let (root, _) = BitcoinBlock.merkleRoot(all.map(\.txid))
        let target = try BitcoinBlock.target(bits: bits)
        var header: [UInt8] = []
        header.appendLittleEndian(UInt32(0x2000_0000))
        header += previous.bytes + root.bytes
        header.appendLittleEndian(time)
        header.appendLittleEndian(bits)
        header.appendLittleEndian(UInt32(0))
        var nonce: UInt32 = 0
        while target < Hash256.doubleSHA256(header) {
            nonce += 1
            withUnsafeBytes(of: nonce.littleEndian) { header.replaceSubrange(76..<80, with: $0) }
        }
        var bytes = header
        bytes.appendCompactSize(all.count)
        for transaction in all { bytes += transaction.serialized() }
        return bytes
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendCompactSize(_ count: Int) {
        switch count {
        case ..<0xFD: append(UInt8(count))
        case ...0xFFFF:
            append(0xFD)
            appendLittleEndian(UInt16(count))
        case ...0xFFFF_FFFF:
            append(0xFE)
            appendLittleEndian(UInt32(count))
        default:
            append(0xFF)
            appendLittleEndian(UInt64(count))
        }
    }
}
