import CSICCore
import EventLog
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// One Ethereum node the adapter may read from.
public struct EthereumNodeEndpoint: Sendable, Hashable {
    public var url: String
    /// An `Authorization` header value for the node, when it wants one.
    public var authorization: String?

    public init(url: String, authorization: String? = nil) {
        self.url = url
        self.authorization = authorization
    }
}

public struct EthereumAdapterSettings: Sendable {
    /// Nodes in order of preference; a failing node hands over to the next (failover).
    public var endpoints: [EthereumNodeEndpoint]
    /// The chain the nodes must be on (`eth_chainId`); a node on another chain is not read. `nil` accepts any.
    public var chainID: UInt64?
    /// The first height applied when there is no checkpoint yet.
    public var startHeight: UInt64
    /// 1 applies the head; 12 waits for twelve blocks.
    public var confirmations: UInt64
    public var pollInterval: Duration
    /// The most bytes of a rejected answer a dead letter keeps (`dead_letter_max_bytes`).
    public var deadLetterMaxBytes = DeadLetter.defaultMaxPayloadBytes
    /// Where the adapter keeps its state (checkpoint and recent blocks' transactions): its own SQLite file or the platform's PostgreSQL store.
    public var state: AdapterStateLocation
    /// How many recent blocks are remembered for reorgs.
    public var checkpointDepth: Int
    /// The node's WebSocket endpoint: `eth_subscribe("newHeads")` wakes the adapter at once instead of at the next poll.
    public var headSubscription: EthereumHeadSubscription?

    public init(
        endpoints: [EthereumNodeEndpoint], chainID: UInt64? = nil, startHeight: UInt64, confirmations: UInt64 = 1,
        pollInterval: Duration = .seconds(2), state: AdapterStateLocation, checkpointDepth: Int = 128,
        headSubscription: EthereumHeadSubscription? = nil
    ) {
        self.endpoints = endpoints
        self.chainID = chainID
        self.startHeight = startHeight
        self.confirmations = confirmations
        self.pollInterval = pollInterval
        self.state = state
        self.checkpointDepth = checkpointDepth
        self.headSubscription = headSubscription
    }
}

/// Follows Ethereum nodes' canonical chain and publishes every transaction of every applied block on
/// `transactions` (and the block itself), keyed by transaction hash; orphaned blocks' transactions are
/// published again as reverted. Each block's header is hashed here (keccak256 of its RLP) and its receipts
/// checked against its transactions; a block that fails is dead-lettered once and retried with backoff,
/// never skipped. New blocks are found by polling `eth_blockNumber`, and at once when a WebSocket
/// `newHeads` subscription is configured.
public final class EthereumAdapter: Service, FollowedChain, Sendable {
    let name = "ethereum"
    private let settings: EthereumAdapterSettings
    private let clients: [EthereumRPCClient]
    private let publisher: ChainEventPublisher
    private let state: any EthereumStateStore
    private let logger: Logger
    private let metrics: ChainAdapterMetrics
    private let wake = BlockWake()
    /// Set when a node answers `eth_getBlockReceipts` with "method not found"; receipts are then asked per transaction.
    private let blockReceiptsUnsupported = Atomic<Bool>(false)

    public init(settings: EthereumAdapterSettings, log: any EventLog, metrics: any MetricsFactory, logger: Logger) throws {
        precondition(!settings.endpoints.isEmpty, "an Ethereum adapter needs at least one node")
        self.settings = settings
        clients = settings.endpoints.map { EthereumRPCClient(url: $0.url, authorization: $0.authorization) }
        publisher = ChainEventPublisher(log: log, source: "ethereum", maxDeadLetterBytes: settings.deadLetterMaxBytes)
        state = try settings.state.ethereum()
        self.logger = logger
        self.metrics = ChainAdapterMetrics(chain: "ethereum", factory: metrics)
    }

    public func run() async throws {
        guard let subscription = settings.headSubscription else { return try await follow() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await subscription.run(logger: self.logger) { _ in self.wake.signal() } }
            try await follow()
            group.cancelAll()
        }
    }

    private func follow() async throws {
        let follower = ChainFollower(
            checkpoint: try await state.checkpoint(depth: settings.checkpointDepth), startHeight: settings.startHeight,
            confirmations: settings.confirmations)
        var loop = FollowLoop(follower: follower, nodes: clients.count, pollInterval: settings.pollInterval, verifiesChain: true)
        let faults = AdapterFaults(chain: name, metrics: metrics, publisher: publisher, logger: logger)
        try await loop.run(self, wake: wake, faults: faults, logger: logger)
    }

    var urls: [String] { clients.map(\.url) }

    /// A node whose `eth_chainId` is not the configured chain is never read.
    func verifyChain(node: Int) async throws {
        let chainID = try await clients[node].chainID()
        if let expected = settings.chainID, chainID != expected {
            throw WrongChain(url: clients[node].url, chainID: chainID, expected: expected)
        }
    }

    func tip(node: Int) async throws -> UInt64 {
        try await clients[node].blockNumber()
    }

    /// Applies or reverts one block; `nil` when the node has no block at `height` (its head moved back).
    func step(_ follower: ChainFollower, node: Int, height: UInt64) async throws -> ChainFollower? {
        let client = clients[node]
        guard let (block, body) = try await client.block(height: height) else { return nil }
        let receipts = try await receipts(of: block, client: client)
        let pointer: BlockPointer
        let time: Timestamp
        let transactions: [ChainTransaction]
        do {
            pointer = try block.pointer()
            time = try block.time()
            guard pointer.height == height else { throw EthereumDataError("asked for block \(height), got \(pointer.height)") }
            try block.verify(receipts: receipts)
            transactions = try block.chainTransactions(receipts: receipts, seenAt: .now(), verifiedChecks: EthereumBlock.verifiedChecks)
        } catch let error as EthereumDataError {
            throw RejectedBlock(block: "\(height)", reason: "\(error)", payload: body)
        }
        var next = follower
        switch try next.offer(pointer) {
        case .connect:
            try await publisher.publish(
                transactions,
                block: ChainBlock(
                    chain: .ethereum, height: height, hash: pointer.hash, previousHash: pointer.previousHash,
                    time: time, transactionCount: UInt32(block.transactions.count)))
            try await state.connect(height: height, transactions: transactions, checkpoint: next.checkpoint)
            metrics.blockConnected(height: height, blockTime: time.secondsSinceEpoch)
        case .disconnect(let orphan):
            let now = Timestamp.now()
            let reverted = try await state.transactions(height: orphan.height).map { transaction in
                var transaction = transaction
                transaction.status = .reverted
                transaction.seenAt = now
                return transaction
            }
            try await publisher.publish(reverted, block: nil)
            try await state.disconnect(height: orphan.height, checkpoint: next.checkpoint)
            metrics.disconnected.increment()
            logger.notice("ethereum reorg: block reverted", metadata: ["height": "\(orphan.height)", "block": "\(orphan.hash)"])
        }
        return next
    }

    /// The block's receipts: `eth_getBlockReceipts`, or one `eth_getTransactionReceipt` per transaction on
    /// nodes without it.
    private func receipts(of block: EthereumBlock, client: EthereumRPCClient) async throws -> [EthereumReceipt] {
        if block.transactions.isEmpty { return [] }
        if !blockReceiptsUnsupported.load(ordering: .relaxed) {
            do throws(NodeRPCError) {
                return try await client.blockReceipts(blockHash: block.hash)
            } catch {
                guard error.rpcCode == EthereumRPCClient.methodNotFound else { throw error }
                blockReceiptsUnsupported.store(true, ordering: .relaxed)
                logger.warning("the node has no eth_getBlockReceipts; asking receipts per transaction", metadata: ["node": "\(client.url)"])
            }
        }
        return try await client.transactionReceipts(of: block)
    }
}
