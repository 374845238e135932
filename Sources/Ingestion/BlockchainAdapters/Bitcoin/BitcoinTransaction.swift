/// A transaction parsed from raw bytes, legacy or segwit (BIP144). Scripts and witnesses are ranges of
/// the buffer it was parsed from (`RawBitcoinBlock.bytes` or `RawBitcoinTransaction.bytes`).
public struct BitcoinTransaction: Sendable, Hashable {
    public struct Input: Sendable, Hashable {
        public var previousTxid: Hash256
        public var previousIndex: UInt32
        public var scriptSig: Range<Int>
        public var sequence: UInt32
        /// The witness stack items of this input (empty for a legacy transaction).
        public var witness: [Range<Int>]

        /// The coinbase's input spends nothing: a zero txid and index 0xFFFFFFFF.
        public var isCoinbase: Bool { previousTxid == .zero && previousIndex == .max }
    }

    public struct Output: Sendable, Hashable {
        /// Value in satoshis.
        public var value: UInt64
        public var scriptPubKey: Range<Int>
    }

    public var version: UInt32
    public var inputs: [Input]
    public var outputs: [Output]
    public var lockTime: UInt32
    /// SHA-256d of the serialization without witness data.
    public var txid: Hash256
    /// SHA-256d of the full serialization; equal to `txid` for a transaction without witness.
    public var wtxid: Hash256
    public var hasWitness: Bool
    /// Where the transaction's bytes lie in the buffer.
    public var span: Range<Int>
    /// Serialized size without witness data.
    public var strippedSize: Int

    public var size: Int { span.count }
    /// BIP141 weight: stripped size × 3 + total size.
    public var weight: Int { strippedSize * 3 + size }
    public var isCoinbase: Bool { inputs.count == 1 && inputs[0].isCoinbase }

    /// The largest counts a parse accepts (a 4 MWU block cannot hold more): corrupt counts fail fast.
    static let maximumCount = 4_000_000 / 9

    /// Parses one transaction at the reader's offset and hashes it.
    static func parse(_ reader: inout ByteReader) throws(BitcoinDataError) -> BitcoinTransaction {
        let start = reader.offset
        let version = try reader.uint32("transaction version")
        var hasWitness = false
        var inputCount = try reader.count("input", limit: maximumCount)
        if inputCount == 0 {
            let flag = try reader.byte("segwit flag")
            guard flag == 1 else { throw BitcoinDataError(.malformed, "segwit flag \(flag) at offset \(reader.offset - 1), expected 1") }
            hasWitness = true
            inputCount = try reader.count("input", limit: maximumCount)
        }
        let bodyStart = hasWitness ? start + 6 : start + 4
        var inputs: [Input] = []
        inputs.reserveCapacity(inputCount)
        for _ in 0..<inputCount {
            let previousTxid = try reader.hash("previous txid")
            let previousIndex = try reader.uint32("previous index")
            let scriptSig = try reader.range(try reader.count("scriptSig", limit: 4_000_000), "scriptSig")
            let sequence = try reader.uint32("sequence")
            inputs.append(
                Input(previousTxid: previousTxid, previousIndex: previousIndex, scriptSig: scriptSig, sequence: sequence, witness: []))
        }
        let outputCount = try reader.count("output", limit: maximumCount)
        var outputs: [Output] = []
        outputs.reserveCapacity(outputCount)
        for _ in 0..<outputCount {
            let value = try reader.uint64("output value")
            let script = try reader.range(try reader.count("scriptPubKey", limit: 4_000_000), "scriptPubKey")
            outputs.append(Output(value: value, scriptPubKey: script))
        }
        let bodyEnd = reader.offset
        if hasWitness {
            for index in inputs.indices {
                let items = try reader.count("witness item", limit: 4_000_000)
                var stack: [Range<Int>] = []
                stack.reserveCapacity(items)
                for _ in 0..<items { stack.append(try reader.range(try reader.count("witness item", limit: 4_000_000), "witness item")) }
                inputs[index].witness = stack
            }
            guard inputs.contains(where: { !$0.witness.isEmpty }) else {
                throw BitcoinDataError(.malformed, "segwit serialization without any witness at offset \(start)")
            }
        }
        let lockTime = try reader.uint32("lock time")
        let end = reader.offset
        let (txid, wtxid) = identifiers(reader.bytes, span: start..<end, strippedBody: hasWitness ? bodyStart..<bodyEnd : nil)
        return BitcoinTransaction(
            version: version, inputs: inputs, outputs: outputs, lockTime: lockTime, txid: txid, wtxid: wtxid,
            hasWitness: hasWitness, span: start..<end, strippedSize: 4 + (bodyEnd - bodyStart) + 4)
    }

    /// txid and wtxid of the transaction at `span` of `bytes`: one SHA-256d for a legacy transaction; for a
    /// segwit one the txid hashes version, `strippedBody` (inputs and outputs) and lock time in parts.
    public static func identifiers(
        _ bytes: UnsafeRawBufferPointer, span: Range<Int>, strippedBody: Range<Int>?
    ) -> (txid: Hash256, wtxid: Hash256) {
        guard let body = strippedBody else {
            let txid = Hash256.doubleSHA256(UnsafeRawBufferPointer(rebasing: bytes[span]))
            return (txid, txid)
        }
        let txid = Hash256.doubleSHA256(
            parts: UnsafeRawBufferPointer(rebasing: bytes[span.lowerBound..<span.lowerBound + 4]),
            UnsafeRawBufferPointer(rebasing: bytes[body]),
            UnsafeRawBufferPointer(rebasing: bytes[span.upperBound - 4..<span.upperBound]))
        return (txid, Hash256.doubleSHA256(UnsafeRawBufferPointer(rebasing: bytes[span])))
    }

    /// The inputs and outputs between the segwit marker and the witnesses, for a segwit transaction.
    public var strippedBody: Range<Int>? {
        hasWitness ? span.lowerBound + 6..<span.lowerBound + 6 + strippedSize - 8 : nil
    }
}
