import CSICCore

/// A decoded block as operators read it (`csic chain decode-block`): hashes in display order, values in
/// satoshis, every output's type and address, and the result of the consensus checks.
public struct BlockReport: Codable, Sendable, Hashable {
    public struct Input: Codable, Sendable, Hashable {
        public var previousTxid: String
        public var previousIndex: UInt32
        public var coinbase: Bool
        public var sequence: UInt32
        public var scriptSig: String
        public var witness: [String]
    }

    public struct Output: Codable, Sendable, Hashable {
        public var index: Int
        public var value: UInt64
        public var scriptType: String
        public var address: String?
        public var scriptPubKey: String
    }

    public struct Transaction: Codable, Sendable, Hashable {
        public var txid: String
        public var wtxid: String
        public var size: Int
        public var weight: Int
        public var inputs: [Input]
        public var outputs: [Output]
    }

    public var network: String
    public var hash: String
    public var previousHash: String
    public var merkleRoot: String
    public var version: Int32
    public var time: UInt32
    public var bits: String
    public var nonce: UInt32
    public var size: Int
    public var weight: Int
    /// `"ok"`, or the first failed check as `code: message`.
    public var verification: String
    public var transactions: [Transaction]

    public init(_ block: BitcoinBlock, network: BitcoinNetwork) {
        self.network = network.name
        hash = block.header.hash.hex
        previousHash = block.header.previousBlockHash.hex
        merkleRoot = block.header.merkleRoot.hex
        version = block.header.version
        time = block.header.time
        bits = String(block.header.bits, radix: 16)
        nonce = block.header.nonce
        size = block.size
        weight = block.weight
        do {
            try block.verify()
            verification = "ok"
        } catch {
            verification = error.description
        }
        transactions = block.transactions.map { transaction in
            Transaction(
                txid: transaction.txid.hex, wtxid: transaction.wtxid.hex, size: transaction.size, weight: transaction.weight,
                inputs: transaction.inputs.map { input in
                    Input(
                        previousTxid: input.previousTxid.hex, previousIndex: input.previousIndex, coinbase: input.isCoinbase,
                        sequence: input.sequence, scriptSig: Hex.encode(block[input.scriptSig]),
                        witness: input.witness.map { Hex.encode(block[$0]) })
                },
                outputs: transaction.outputs.enumerated().map { index, output in
                    let (type, address) = BitcoinScript.classify(block[output.scriptPubKey], network: network)
                    return Output(
                        index: index, value: output.value, scriptType: type.rawValue, address: address,
                        scriptPubKey: Hex.encode(block[output.scriptPubKey]))
                })
        }
    }
}

/// Finds the blocks in bytes given by an operator: one raw block, its hex, or `blk*.dat` records
/// (network magic, 4-byte little-endian length, block), as Bitcoin Core stores them.
public enum BlockInput {
    /// The blocks in `data` and the network their record magic names (`nil` for a bare block).
    public static func blocks(in data: [UInt8]) throws(BitcoinDataError) -> [(bytes: [UInt8], network: BitcoinNetwork?)] {
        if let text = String(validating: data, as: UTF8.self)?.filter({ !$0.isWhitespace }), !text.isEmpty,
            text.utf8.allSatisfy({ $0 < 128 }), let decoded = Hex.decode(text.lowercased())
        {
            return try blocks(in: decoded)
        }
        guard data.count >= 8, let network = BitcoinNetwork.all.first(where: { data.starts(with: $0.magic) }) else {
            return [(data, nil)]
        }
        var records: [(bytes: [UInt8], network: BitcoinNetwork?)] = []
        var offset = 0
        while offset + 8 <= data.count, data[offset..<offset + 4].elementsEqual(network.magic) {
            let length = data[offset + 4..<offset + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard offset + 8 + length <= data.count else {
                throw BitcoinDataError(.truncated, "record at offset \(offset) declares \(length) bytes, \(data.count - offset - 8) remain")
            }
            records.append((Array(data[offset + 8..<offset + 8 + length]), network))
            offset += 8 + length
        }
        // Bitcoin Core preallocates blk files with zeros after the last record.
        guard data[offset...].allSatisfy({ $0 == 0 }) else {
            throw BitcoinDataError(.malformed, "bytes at offset \(offset) are neither a record of \(network.name) nor padding")
        }
        return records
    }
}
