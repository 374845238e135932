import CSICCore
import CSICProtos

/// A transaction row: the searchable columns plus the exact protobuf payload from the log.
public struct StoredTransaction: Sendable, Hashable {
    /// The event id, e.g. `btc:<txid>`.
    public var id: String
    public var chain: Chain
    public var txid: String
    public var blockHeight: UInt64?
    public var blockHash: String?
    public var blockTime: Timestamp?
    public var seenAt: Timestamp
    public var fee: Amount?
    public var totalOutput: Amount
    public var inputCount: Int
    public var outputCount: Int
    public var status: TransactionStatus
    /// 0–100 once the risk engine has scored it.
    public var riskScore: Int?
    /// The `ChainTransaction` protobuf bytes as published.
    public var payload: [UInt8]
    /// Where the event came from in the log (for replay and audit).
    public var source: LogPosition

    public init(
        id: String, chain: Chain, txid: String, blockHeight: UInt64?, blockHash: String?, blockTime: Timestamp?, seenAt: Timestamp,
        fee: Amount?, totalOutput: Amount, inputCount: Int, outputCount: Int, status: TransactionStatus, riskScore: Int?, payload: [UInt8],
        source: LogPosition
    ) {
        self.id = id
        self.chain = chain
        self.txid = txid
        self.blockHeight = blockHeight
        self.blockHash = blockHash
        self.blockTime = blockTime
        self.seenAt = seenAt
        self.fee = fee
        self.totalOutput = totalOutput
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.status = status
        self.riskScore = riskScore
        self.payload = payload
        self.source = source
    }
}

/// A topic, partition and offset.
public struct LogPosition: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// One configuration setting with who changed it last.
public struct ConfigurationEntry: Sendable, Hashable, Codable {
    public var key: String
    public var value: String
    public var updatedAt: Timestamp
    public var updatedBy: String

    public init(key: String, value: String, updatedAt: Timestamp, updatedBy: String) {
        self.key = key
        self.value = value
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// One page of a newest-first listing; pass `nextCursor` back to continue.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// `nil` on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// A transaction to store: the row, upserted by event id, indexed under every address it touches.
public struct TransactionWrite: Sendable, Hashable {
    public var row: StoredTransaction
    public var addresses: [String]

    public init(_ row: StoredTransaction, addresses: [String]) {
        self.row = row
        self.addresses = addresses
    }
}

/// Errors of the stores.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A pagination cursor that this store did not issue.
    case invalidCursor(String)

    public var description: String {
        switch self {
        case .invalidCursor(let cursor): "invalid cursor \(cursor)"
        }
    }
}

extension StoredTransaction {
    /// The published event in `payload`; `nil` when the payload is not a transaction event.
    public static func event(payload: some Collection<UInt8>) -> ChainTransaction? {
        guard case .transaction(let transaction) = try? TransactionTopicEvent(protoBytes: payload) else { return nil }
        return transaction
    }
}
