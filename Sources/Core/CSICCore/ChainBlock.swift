/// A block header as seen by a blockchain adapter.
public struct ChainBlock: DomainEvent, Hashable, Codable {
    public var chain: Chain
    public var height: UInt64
    /// Block hash, display hex.
    public var hash: String
    /// Parent block hash, display hex.
    public var previousHash: String
    public var time: Timestamp
    public var transactionCount: UInt32

    public init(chain: Chain, height: UInt64, hash: String, previousHash: String, time: Timestamp, transactionCount: UInt32) {
        self.chain = chain
        self.height = height
        self.hash = hash
        self.previousHash = previousHash
        self.time = time
        self.transactionCount = transactionCount
    }

    /// `btc:block:<hash>`.
    public var eventID: String { "\(chain.idPrefix):block:\(hash)" }

    public func validate() throws(ValidationError) {
        try Check.hex(hash, bytes: 32, "hash")
        try Check.hex(previousHash, bytes: 32, "previous_hash")
        try Check.plausible(time, "time")
        try require(
            transactionCount > 0 || chain != .bitcoin, .outOfRange, "transaction_count", "a Bitcoin block holds at least its coinbase")
        try require(hash != previousHash, .inconsistent, "previous_hash", "equals the block's own hash")
    }
}
