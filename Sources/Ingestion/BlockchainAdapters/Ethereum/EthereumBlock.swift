import BigInt
import CSICCore

/// Why Ethereum node data was rejected.
public struct EthereumDataError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "ethereum data: \(message)" }
}

/// A JSON-RPC quantity (`"0x1b4"`): up to 256 bits, no leading zeros required.
public struct HexQuantity: Decodable, Sendable, Hashable {
    public let amount: Amount

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let amount = Self.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a hex quantity: \(text)"))
        }
        self.amount = amount
    }

    static func parse(_ text: String) -> Amount? {
        guard text.hasPrefix("0x"), text.utf8.count > 2, text.utf8.count <= 66 else { return nil }
        var digits = String(text.dropFirst(2))
        if digits.utf8.count % 2 == 1 { digits = "0" + digits }
        return Hex.decode(digits.lowercased()).map { Amount(bigEndian: $0) }
    }

    /// The value, when it fits 64 bits (block numbers, gas, timestamps).
    public var uint64: UInt64? { amount.uint64Value }
}

/// `eth_getBlockByNumber(n, true)`: the fields the adapter reads.
public struct EthereumBlock: Decodable, Sendable {
    public struct Transaction: Decodable, Sendable {
        public var hash: String
        public var from: String
        /// Absent for a contract creation.
        public var to: String?
        public var value: HexQuantity
    }

    public var number: HexQuantity
    public var hash: String
    public var parentHash: String
    public var timestamp: HexQuantity
    public var transactions: [Transaction]
    /// The header fields, decoded from the same object, to check `hash`.
    public var header: EthereumHeader

    private enum CodingKeys: String, CodingKey {
        case number, hash, parentHash, timestamp, transactions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        number = try container.decode(HexQuantity.self, forKey: .number)
        hash = try container.decode(String.self, forKey: .hash)
        parentHash = try container.decode(String.self, forKey: .parentHash)
        timestamp = try container.decode(HexQuantity.self, forKey: .timestamp)
        transactions = try container.decode([Transaction].self, forKey: .transactions)
        header = try EthereumHeader(from: decoder)
    }
}

/// `eth_getBlockReceipts` / `eth_getTransactionReceipt`: outcome, gas and logs of one transaction.
public struct EthereumReceipt: Decodable, Sendable {
    public struct Log: Decodable, Sendable {
        public var address: String
        public var topics: [String]
        public var data: String
        public var logIndex: HexQuantity
        public var removed: Bool?
    }

    public var transactionHash: String
    /// The block the receipt belongs to (absent from some older nodes' answers).
    public var blockHash: String?
    /// 1 success, 0 failure (post-Byzantium).
    public var status: HexQuantity?
    public var gasUsed: HexQuantity
    public var effectiveGasPrice: HexQuantity?
    public var contractAddress: String?
    public var logs: [Log]
}

extension EthereumBlock {
    /// keccak256("Transfer(address,address,uint256)"): the ERC-20 (and ERC-721) Transfer event topic.
    public static let transferTopic = "0x" + Hex.encode(Keccak256.hash(Array("Transfer(address,address,uint256)".utf8)))

    /// The block's time; a value no timestamp can hold (a hostile or broken node) is an error, not a trap.
    public func time() throws(EthereumDataError) -> Timestamp {
        guard let time = Timestamp(checkedSecondsSinceEpoch: timestamp.amount.units) else {
            throw EthereumDataError("block time \(timestamp.amount.units) is beyond what a timestamp can hold")
        }
        return time
    }

    /// The block's transactions as `transactions` topic events: EIP-55 addresses, value in wei, fee = gas used
    /// × effective gas price, `failed` when the receipt's status is 0, ERC-20 transfers from Transfer logs
    /// (three topics and a 32-byte amount; ERC-721's four-topic form is not a fungible transfer).
    public func chainTransactions(
        receipts: [EthereumReceipt], seenAt: Timestamp, verifiedChecks: [String] = []
    ) throws(EthereumDataError) -> [ChainTransaction] {
        guard let height = number.uint64 else { throw EthereumDataError("block number beyond 64 bits") }
        let reference = BlockRef(height: height, hash: try Self.hash(hash), time: try time())
        var byHash: [String: EthereumReceipt] = [:]
        for receipt in receipts { byHash[receipt.transactionHash.lowercased()] = receipt }
        return try transactions.map { transaction throws(EthereumDataError) in
            guard let receipt = byHash[transaction.hash.lowercased()] else {
                throw EthereumDataError("no receipt for transaction \(transaction.hash) of block \(height)")
            }
            guard let gasUsed = receipt.gasUsed.uint64 else { throw EthereumDataError("gas used of \(transaction.hash) beyond 64 bits") }
            let fee = receipt.effectiveGasPrice.map { Amount(units: BigUInt(gasUsed) * $0.amount.units) }
            var transfers: [TokenTransfer] = []
            for log in receipt.logs where log.removed != true && log.topics.count == 3 && log.topics[0].lowercased() == Self.transferTopic {
                guard let token = EthereumAddress.checksummed(log.address), let from = Self.topicAddress(log.topics[1]),
                    let to = Self.topicAddress(log.topics[2]), let value = HexQuantity.parse(log.data.count == 66 ? log.data : ""),
                    let logIndex = log.logIndex.uint64
                else { throw EthereumDataError("malformed Transfer log \(log.logIndex.amount) in \(transaction.hash)") }
                transfers.append(
                    TokenTransfer(token: token, from: from, to: to, value: value, logIndex: UInt32(truncatingIfNeeded: logIndex)))
            }
            guard let from = EthereumAddress.checksummed(transaction.from) else {
                throw EthereumDataError("bad sender \(transaction.from)")
            }
            let to = try transaction.to.map { address throws(EthereumDataError) in
                guard let checksummed = EthereumAddress.checksummed(address) else { throw EthereumDataError("bad recipient \(address)") }
                return checksummed
            }
            return ChainTransaction(
                chain: .ethereum, txid: try Self.hash(transaction.hash), block: reference, seenAt: seenAt,
                from: from, to: to, value: transaction.value.amount, fee: fee, tokenTransfers: transfers,
                status: receipt.status?.uint64 == 0 ? .failed : .confirmed, verifiedChecks: verifiedChecks)
        }
    }

    /// A 32-byte hash as the domain spells it: 64 lowercase hex digits without `0x`.
    static func hash(_ text: String) throws(EthereumDataError) -> String {
        let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)).lowercased() : text.lowercased()
        guard digits.utf8.count == 64, Hex.isLowercaseHex(digits) else { throw EthereumDataError("not a 32-byte hash: \(text)") }
        return digits
    }

    /// The address in an indexed topic: the last 20 of 32 bytes, the first 12 zero.
    static func topicAddress(_ topic: String) -> String? {
        guard topic.utf8.count == 66, topic.hasPrefix("0x"), topic.dropFirst(2).prefix(24).allSatisfy({ $0 == "0" }) else { return nil }
        return EthereumAddress.checksummed(String(topic.suffix(40)))
    }
}
