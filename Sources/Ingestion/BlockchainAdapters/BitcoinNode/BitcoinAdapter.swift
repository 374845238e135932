import CSICCore
import CSICProtos
import EventLog
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// One Bitcoin Core node the adapter may read from.
public struct BitcoinNodeEndpoint: Sendable, Hashable {
    public var url: String
    public var credentials: BitcoinRPCCredentials

    public init(url: String, credentials: BitcoinRPCCredentials) {
        self.url = url
        self.credentials = credentials
    }
}

public struct BitcoinAdapterSettings: Sendable {
    /// Nodes in order of preference; a failing node hands over to the next (failover).
    public var endpoints: [BitcoinNodeEndpoint]
    public var network: BitcoinNetwork
    /// The first height applied when there is no checkpoint yet.
    public var startHeight: UInt64
    /// 1 applies the tip; 6 waits for six blocks.
    public var confirmations: UInt64
    public var pollInterval: Duration
    /// The most bytes of a rejected answer a dead letter keeps (`dead_letter_max_bytes`).
    public var deadLetterMaxBytes = DeadLetter.defaultMaxPayloadBytes
    /// Where the adapter keeps its state (checkpoint and UTXO index): its own SQLite file or the platform's PostgreSQL store.
    public var state: AdapterStateLocation
    /// How many recent blocks are remembered for reorgs.
    public var checkpointDepth: Int
    /// The node's `-zmqpubhashblock` publisher: a new block wakes the adapter at once instead of at the next poll.
    public var blockNotifications: ZMQSubscription?

    public init(
        endpoints: [BitcoinNodeEndpoint], network: BitcoinNetwork, startHeight: UInt64, confirmations: UInt64 = 1,
        pollInterval: Duration = .seconds(2), state: AdapterStateLocation, checkpointDepth: Int = 144,
        blockNotifications: ZMQSubscription? = nil
    ) {
        self.endpoints = endpoints
        self.network = network
        self.startHeight = startHeight
        self.confirmations = confirmations
        self.pollInterval = pollInterval
        self.state = state
        self.checkpointDepth = checkpointDepth
        self.blockNotifications = blockNotifications
    }
}

/// Follows Bitcoin nodes' best chain and publishes every transaction of every applied block on
/// `transactions` (and the block itself), keyed by txid; orphaned blocks' transactions are published again
/// as reverted. Blocks are fetched raw (`getblock <hash> 0`), parsed and verified here (merkle root, witness
/// commitment, proof of work, hash); a block that fails is dead-lettered once and retried with backoff,
/// never skipped. New blocks are found by polling the node, and at once when the node's ZMQ `hashblock`
/// notifications are configured.
public final class BitcoinAdapter: Service, FollowedChain, Sendable {
    let name = "bitcoin"
    private let settings: BitcoinAdapterSettings
    private let clients: [BitcoinRPCClient]
    private let publisher: ChainEventPublisher
    private let state: any BitcoinStateStore
    private let logger: Logger
    private let metrics: ChainAdapterMetrics
    private let wake = BlockWake()
    /// Set when the node rejects `getblock <hash> 3`.
    private let prevoutsUnsupported = Atomic<Bool>(false)

    public init(settings: BitcoinAdapterSettings, log: any EventLog, metrics: any MetricsFactory, logger: Logger) throws {
        precondition(!settings.endpoints.isEmpty, "a Bitcoin adapter needs at least one node")
        self.settings = settings
        clients = settings.endpoints.map { BitcoinRPCClient(url: $0.url, credentials: $0.credentials) }
        publisher = ChainEventPublisher(log: log, source: "bitcoin", maxDeadLetterBytes: settings.deadLetterMaxBytes)
        state = try settings.state.bitcoin()
        self.logger = logger
        self.metrics = ChainAdapterMetrics(chain: "bitcoin", factory: metrics)
    }

    var urls: [String] { clients.map(\.url) }

    func tip(node: Int) async throws -> UInt64 {
        try await clients[node].blockchainInfo().blocks
    }

    public func run() async throws {
        guard let notifications = settings.blockNotifications else { return try await follow() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await notifications.run(logger: self.logger) { message in
                    if message.first.map({ $0.elementsEqual("hashblock".utf8) }) == true { self.wake.signal() }
                }
            }
            try await follow()
            group.cancelAll()
        }
    }

    private func follow() async throws {
        let follower = ChainFollower(
            checkpoint: try await state.checkpoint(depth: settings.checkpointDepth), startHeight: settings.startHeight,
            confirmations: settings.confirmations)
        var loop = FollowLoop(follower: follower, nodes: clients.count, pollInterval: settings.pollInterval, verifiesChain: false)
        let faults = AdapterFaults(chain: name, metrics: metrics, publisher: publisher, logger: logger)
        try await loop.run(self, wake: wake, faults: faults, logger: logger)
    }

    private func fetch(_ client: BitcoinRPCClient, hash: String, height: UInt64) async throws -> BitcoinBlock {
        let bytes = try await client.rawBlock(hash: hash)
        do {
            let block = try BitcoinBlock(bytes: bytes)
            try block.verify()
            guard block.header.hash.hex == hash else {
                throw BitcoinDataError(.malformed, "the node served block \(block.header.hash) for \(hash)")
            }
            return block
        } catch let error as BitcoinDataError {
            throw RejectedBlock(block: "\(height) \(hash)", reason: "\(error)", payload: bytes)
        }
    }

    func step(_ follower: ChainFollower, node: Int, height: UInt64) async throws -> ChainFollower? {
        let client = clients[node]
        let hash = try await client.blockHash(height: height)
        let block = try await fetch(client, hash: hash, height: height)
        var next = follower
        switch try next.offer(BlockPointer(height: height, hash: hash, previousHash: block.header.previousBlockHash.hex)) {
        case .connect:
            let spent = block.spentOutpoints
            let known = try await resolve(spent, of: block, hash: hash, client: client)
            let (events, created) = block.publication(
                height: height, network: settings.network, seenAt: .now(), spentOutputs: known, verifiedChecks: BitcoinBlock.verifiedChecks)
            try await publish(events, block: block, height: height)
            try await state.connect(height: height, created: created, spent: spent, checkpoint: next.checkpoint)
            metrics.blockConnected(height: height, blockTime: Int64(block.header.time))
        case .disconnect(let orphan):
            let orphaned = try await fetch(client, hash: orphan.hash, height: orphan.height)
            let events = orphaned.chainTransactions(
                height: orphan.height, network: settings.network, seenAt: .now(), status: .reverted,
                spentOutputs: try await resolve(orphaned.spentOutpoints, of: orphaned, hash: orphan.hash, client: client),
                verifiedChecks: BitcoinBlock.verifiedChecks)
            try await publish(events, block: nil, height: orphan.height)
            try await state.disconnect(height: orphan.height, checkpoint: next.checkpoint)
            metrics.disconnected.increment()
            logger.notice("bitcoin reorg: block reverted", metadata: ["height": "\(orphan.height)", "block": "\(orphan.hash)"])
        }
        return next
    }

    /// What `outpoints` spend: from the UTXO index, else (outputs older than the adapter's start) from the
    /// node's `getblock <hash> 3`. A node too old for verbosity 3 leaves them unresolved, said once in the log.
    private func resolve(
        _ outpoints: [Outpoint], of block: BitcoinBlock, hash: String, client: BitcoinRPCClient
    ) async throws -> [Outpoint: SpentOutput] {
        var known = try await state.spentOutputs(outpoints)
        let createdHere = Set(block.transactions.map(\.txid))
        guard outpoints.contains(where: { known[$0] == nil && !createdHere.contains($0.txid) }),
            !prevoutsUnsupported.load(ordering: .relaxed)
        else {
            return known
        }
        let fromNode: [Outpoint: SpentOutput]
        do throws(any Error) {
            fromNode = try await client.previousOutputs(blockHash: hash, network: settings.network)
        } catch {
            guard (error as? NodeRPCError)?.rpcCode == -8 else { throw error }
            prevoutsUnsupported.store(true, ordering: .relaxed)
            logger.warning(
                "the node cannot give previous outputs (getblock verbosity 3); inputs of older outputs stay without value",
                metadata: ["error": "\(error)"])
            return known
        }
        known.merge(fromNode) { indexed, _ in indexed }
        return known
    }

    private func publish(_ transactions: [ChainTransaction], block: BitcoinBlock?, height: UInt64) async throws {
        try await publisher.publish(
            transactions,
            block: block.map { block in
                ChainBlock(
                    chain: .bitcoin, height: height, hash: block.header.hash.hex, previousHash: block.header.previousBlockHash.hex,
                    time: Timestamp(secondsSinceEpoch: Int64(block.header.time)), transactionCount: UInt32(block.transactions.count))
            })
    }
}
