import CSICCore
import CSICProtos
import Crypto
import EventLog
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The metrics every chain adapter reports, labelled by chain: block time to events published, blocks
/// applied and reverted, the applied height, and errors by kind.
struct ChainAdapterMetrics: Sendable {
    let chain: String
    let factory: any MetricsFactory
    let syncLatency: Metrics.Timer
    let connected: Counter
    let disconnected: Counter
    let height: Gauge

    init(chain: String, factory: any MetricsFactory) {
        self.chain = chain
        self.factory = factory
        syncLatency = Metrics.Timer(label: "csic_chain_sync_latency_seconds", dimensions: [("chain", chain)], factory: factory)
        connected = Counter(label: "csic_chain_blocks_total", dimensions: [("chain", chain), ("step", "connect")], factory: factory)
        disconnected = Counter(label: "csic_chain_blocks_total", dimensions: [("chain", chain), ("step", "disconnect")], factory: factory)
        height = Gauge(label: "csic_chain_height", dimensions: [("chain", chain)], factory: factory)
    }

    /// A block applied: its height, and how long after its timestamp its events were durable.
    func blockConnected(height: UInt64, blockTime: Int64) {
        connected.increment()
        self.height.record(Int64(height))
        syncLatency.recordMicroseconds(max(0, Timestamp.now().microsecondsSinceEpoch - blockTime * 1_000_000))
    }

    func error(_ kind: String) {
        Counter(label: "csic_errors_total", dimensions: [("source", chain), ("kind", kind)], factory: factory).increment()
    }
}

/// Wakes an adapter's poll loop early when the node announces a block (ZMQ `hashblock`, `eth_subscribe`).
final class BlockWake: Sendable {
    private let notified = Atomic<Bool>(false)

    /// A new block was announced.
    func signal() { notified.store(true, ordering: .releasing) }

    /// Called before asking the node for its tip: announcements until now are answered by that question.
    func reset() { notified.store(false, ordering: .releasing) }

    /// Sleeps for `interval`, or less when a block is announced or the service stops.
    func idle(_ interval: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: interval)
        while clock.now < deadline, !notified.load(ordering: .acquiring), !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Appends an adapter's events to `transactions` and what it rejects to `dead_letter`.
struct ChainEventPublisher: Sendable {
    let log: any EventLog
    /// The `source` of dead letters, e.g. "bitcoin".
    let source: String

    /// Appends the transactions (and the block, for a connected block) in one durable batch.
    func publish(_ transactions: [ChainTransaction], block: ChainBlock?) async throws {
        var events = transactions.map(TransactionTopicEvent.transaction)
        if let block { events.append(.block(block)) }
        let records = events.map { ProducerRecord(key: $0.recordKey, value: $0.serializedProto()) }
        _ = try await log.append(.transactions, records: records)
    }

    /// The most bytes of a node's answer a dead letter keeps: an Ethereum block's JSON or a raw Bitcoin block
    /// can exceed the log's record limit, and a dead letter that cannot be appended stopped the adapter.
    let maxDeadLetterBytes: Int

    /// Dead-letters data the node served that cannot be accepted, with the reason. A larger answer keeps its
    /// first ``maxDeadLetterBytes`` bytes; the reason then gives its whole length and SHA-256.
    func deadLetter(key: String, payload: [UInt8], reason: String) async throws {
        var reason = String(reason.prefix(4_096))
        if payload.count > maxDeadLetterBytes {
            let digest = Hex.encode(SHA256.hash(data: payload))
            reason += " (the node's answer: \(payload.count) bytes, SHA-256 \(digest); the first \(maxDeadLetterBytes) kept)"
        }
        let letter = DeadLetter(
            source: source, topic: Topic.transactions.rawValue, partition: nil, offset: nil, key: Array(key.utf8.prefix(256)),
            payload: Array(payload.prefix(maxDeadLetterBytes)), reasonCode: .undecodable, reason: reason,
            rejectedBy: "\(source)-adapter", time: .now())
        _ = try await log.append(.deadLetter, records: [ProducerRecord(key: letter.source, value: letter.serializedProto())])
    }
}

/// How a chain adapter answers a failure, the same for every chain: count it, log it, and dead-letter what
/// the node served that cannot be accepted (once per distinct problem, so a retried block is not
/// dead-lettered again and again). What to do next — ask the next node, wait — is ``FollowLoop``'s decision.
struct AdapterFaults {
    let chain: String
    let metrics: ChainAdapterMetrics
    let publisher: ChainEventPublisher
    let logger: Logger
    private var deadLettered: Set<String> = []

    init(chain: String, metrics: ChainAdapterMetrics, publisher: ChainEventPublisher, logger: Logger) {
        self.chain = chain
        self.metrics = metrics
        self.publisher = publisher
        self.logger = logger
    }

    /// A node call failed: a retry can help (unreachable, overloaded), the node answered an error, or it
    /// answered something that does not decode (dead-lettered).
    mutating func node(_ error: NodeRPCError, url: String) async throws -> FollowLoop.Failure {
        metrics.error(error.isRetryable ? "node_unavailable" : "node_error")
        logger.warning("\(chain) node call failed; retrying", metadata: ["node": "\(url)", "error": "\(error)"])
        if case .invalidResult(let method, let reason, let body) = error {
            try await deadLetterOnce(key: method, payload: body, reason: "\(method) from \(url): \(reason)")
        }
        return .node(retryable: error.isRetryable, answered: error.rpcCode != nil)
    }

    /// The node served a block that fails its checks: dead-lettered, then fetched again, never skipped.
    mutating func rejected(_ block: RejectedBlock) async throws -> FollowLoop.Failure {
        metrics.error("invalid_block")
        logger.error("\(chain) block rejected; retrying, not skipping", metadata: ["block": "\(block.block)", "error": "\(block.reason)"])
        try await deadLetterOnce(key: block.block, payload: block.payload, reason: "block \(block.block): \(block.reason)")
        return .rejectedBlock
    }

    /// The platform could not take a step's events or state (the log or the state file refused a write).
    func local(_ error: any Error) -> FollowLoop.Failure {
        metrics.error("log_unavailable")
        logger.error("\(chain) step not recorded; retrying, not skipping", metadata: ["error": "\(error)"])
        return .local
    }

    /// The node is on another chain than the configured one: it is not read.
    func wrongChain(_ wrong: WrongChain) -> FollowLoop.Failure {
        metrics.error("wrong_chain")
        logger.critical(
            "\(chain) node is on another chain; not reading it",
            metadata: ["node": "\(wrong.url)", "chain_id": "\(wrong.chainID)", "expected": "\(wrong.expected)"])
        return .wrongChain
    }

    private mutating func deadLetterOnce(key: String, payload: [UInt8], reason: String) async throws {
        guard deadLettered.insert(reason).inserted else { return }
        try await publisher.deadLetter(key: key, payload: payload, reason: reason)
    }
}

/// A block the node served that failed to parse or verify: named, why, and the bytes as served.
struct RejectedBlock: Error {
    /// `<height>` or `<height> <hash>`.
    let block: String
    let reason: String
    let payload: [UInt8]
}

/// A node on another chain than the configured one.
struct WrongChain: Error {
    let url: String
    let chainID: UInt64
    let expected: UInt64
}
