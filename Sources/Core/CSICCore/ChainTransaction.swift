/// A blockchain the platform supervises.
public enum Chain: String, Sendable, Codable, CaseIterable {
    case bitcoin
    case ethereum

    /// The prefix of event ids, e.g. `btc:` in `btc:<txid>`.
    public var idPrefix: String {
        switch self {
        case .bitcoin: "btc"
        case .ethereum: "eth"
        }
    }

    /// The total supply bound used to reject impossible values (21 million BTC in satoshi; uint256 for ETH).
    public var maximumValue: Amount {
        switch self {
        case .bitcoin: Amount(2_100_000_000_000_000)
        case .ethereum: .maximum
        }
    }
}

/// Where a transaction was confirmed.
public struct BlockRef: Hashable, Sendable, Codable {
    /// The block height.
    public var height: UInt64
    /// The block hash in display (big-endian) hex.
    public var hash: String
    /// The block timestamp.
    public var time: Timestamp

    public init(height: UInt64, hash: String, time: Timestamp) {
        self.height = height
        self.hash = hash
        self.time = time
    }
}

/// A spent output referenced by a Bitcoin input.
public struct TransactionInput: Hashable, Sendable, Codable {
    /// The txid of the transaction whose output is spent; 64 zeros for a coinbase input.
    public var previousTxid: String
    /// The output index spent.
    public var previousIndex: UInt32
    /// The address of the spent output, when known.
    public var address: String?
    /// The value of the spent output, when known.
    public var value: Amount?

    public init(previousTxid: String, previousIndex: UInt32, address: String? = nil, value: Amount? = nil) {
        self.previousTxid = previousTxid
        self.previousIndex = previousIndex
        self.address = address
        self.value = value
    }

    /// The all-zero txid that marks a coinbase input.
    public static let coinbaseTxid = String(repeating: "0", count: 64)

    /// Whether this input creates new coins.
    public var isCoinbase: Bool { previousTxid == Self.coinbaseTxid }
}

/// A Bitcoin output.
public struct TransactionOutput: Hashable, Sendable, Codable {
    /// The position in the transaction.
    public var index: UInt32
    /// The address, absent for OP_RETURN and non-standard scripts.
    public var address: String?
    /// The value.
    public var value: Amount
    /// The script template, e.g. `p2wpkh`, `p2tr`, `nulldata`.
    public var scriptType: String

    public init(index: UInt32, address: String?, value: Amount, scriptType: String) {
        self.index = index
        self.address = address
        self.value = value
        self.scriptType = scriptType
    }
}

/// An ERC-20 `Transfer` decoded from a log.
public struct TokenTransfer: Hashable, Sendable, Codable {
    /// The token contract address.
    public var token: String
    public var from: String
    public var to: String
    public var value: Amount
    /// The log index within the block.
    public var logIndex: UInt32

    public init(token: String, from: String, to: String, value: Amount, logIndex: UInt32) {
        self.token = token
        self.from = from
        self.to = to
        self.value = value
        self.logIndex = logIndex
    }
}

/// The life-cycle state of a chain transaction as seen by the platform.
public enum TransactionStatus: String, Sendable, Codable, CaseIterable {
    /// Seen, not yet at the configured confirmation depth.
    case pending
    /// In the best chain at the configured depth.
    case confirmed
    /// Included but failed (EVM revert).
    case failed
    /// Its block was orphaned by a reorganisation.
    case reverted
}
