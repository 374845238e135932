import CSICCore

/// The fields of an Ethereum block header as a node's JSON gives them, in the order the header is
/// RLP-encoded and hashed. Fields added by later forks are present only from their fork on: London
/// (`baseFeePerGas`), Shanghai (`withdrawalsRoot`), Cancun (blob gas, `parentBeaconBlockRoot`), Prague
/// (`requestsHash`); the hash covers exactly the fields the node sent.
public struct EthereumHeader: Decodable, Sendable, Hashable {
    public var parentHash: String
    public var sha3Uncles: String
    public var miner: String
    public var stateRoot: String
    public var transactionsRoot: String
    public var receiptsRoot: String
    public var logsBloom: String
    public var difficulty: HexQuantity
    public var number: HexQuantity
    public var gasLimit: HexQuantity
    public var gasUsed: HexQuantity
    public var timestamp: HexQuantity
    public var extraData: String
    public var mixHash: String
    public var nonce: String
    public var baseFeePerGas: HexQuantity?
    public var withdrawalsRoot: String?
    public var blobGasUsed: HexQuantity?
    public var excessBlobGas: HexQuantity?
    public var parentBeaconBlockRoot: String?
    public var requestsHash: String?

    /// keccak256(rlp(header)): the block hash the header commits to.
    public func computedHash() throws(EthereumDataError) -> [UInt8] {
        var fields: [RLP] = [
            try Self.data(parentHash, "parentHash", size: 32), try Self.data(sha3Uncles, "sha3Uncles", size: 32),
            try Self.data(miner, "miner", size: 20), try Self.data(stateRoot, "stateRoot", size: 32),
            try Self.data(transactionsRoot, "transactionsRoot", size: 32), try Self.data(receiptsRoot, "receiptsRoot", size: 32),
            try Self.data(logsBloom, "logsBloom", size: 256), .bytes(difficulty.amount.bigEndianBytes),
            .bytes(number.amount.bigEndianBytes), .bytes(gasLimit.amount.bigEndianBytes), .bytes(gasUsed.amount.bigEndianBytes),
            .bytes(timestamp.amount.bigEndianBytes), try Self.data(extraData, "extraData", size: nil),
            try Self.data(mixHash, "mixHash", size: 32), try Self.data(nonce, "nonce", size: 8),
        ]
        let forkFields: [RLP?] = [
            baseFeePerGas.map { .bytes($0.amount.bigEndianBytes) },
            try withdrawalsRoot.map { text throws(EthereumDataError) in try Self.data(text, "withdrawalsRoot", size: 32) },
            blobGasUsed.map { .bytes($0.amount.bigEndianBytes) },
            excessBlobGas.map { .bytes($0.amount.bigEndianBytes) },
            try parentBeaconBlockRoot.map { text throws(EthereumDataError) in try Self.data(text, "parentBeaconBlockRoot", size: 32) },
            try requestsHash.map { text throws(EthereumDataError) in try Self.data(text, "requestsHash", size: 32) },
        ]
        for field in forkFields {
            guard let field else { break }
            fields.append(field)
        }
        return Keccak256.hash(RLP.list(fields).encoded)
    }

    /// `0x`-prefixed hex data, of `size` bytes when given.
    static func data(_ text: String, _ name: String, size: Int?) throws(EthereumDataError) -> RLP {
        let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)).lowercased() : ""
        guard let bytes = Hex.decode(digits), size.map({ bytes.count == $0 }) ?? true else {
            throw EthereumDataError("header field \(name) is not \(size.map { "\($0)-byte " } ?? "")hex data: \(text.prefix(80))")
        }
        return .bytes(bytes)
    }
}
