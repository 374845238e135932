/// Everything a `csic` process is configured with. Loaded from a YAML file plus `CSIC_*` environment
/// overrides by `csic serve --config`, or built from flags by `csic demo`.
public struct PlatformConfiguration: Sendable, Hashable {
    /// The parts of the platform one process can run.
    public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
        /// Sources and adapters writing to the log (the simulators, later the chain and exchange adapters).
        case ingest
        /// Engines consuming the log and writing the stores.
        case process
        /// The HTTP API, dashboard and metrics.
        case api
    }

    public enum LogBackend: String, Sendable, Hashable, Codable {
        case embedded, kafka
    }

    public enum StoreBackend: String, Sendable, Hashable, Codable {
        case sqlite, postgres
    }

    public var dataDirectory: String = "./csic-data"
    public var roles: Set<Role> = Set(Role.allCases)
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8080
    public var grpcPort: Int = 9090

    public var logBackend: LogBackend = .embedded
    /// Partitions of each platform topic except `audit`.
    public var logPartitions: Int32 = 4
    /// `every_batch`, `never`, or a number of milliseconds between syncs.
    public var logFsync: String = "every_batch"
    public var logSegmentBytes: Int64 = 64 << 20
    /// Log retention; the stores keep data for their own (longer) periods.
    public var logRetentionDays: Int64 = 30
    public var logRetentionBytesPerPartition: Int64? = nil

    public var storeBackend: StoreBackend = .sqlite
    /// `full` (survives power loss) or `normal` (survives a process crash).
    public var storeDurability: String = "full"

    /// Run the chain simulator as a source.
    public var simulatorEnabled: Bool = false
    public var simulatorSeed: UInt64? = nil
    public var simulatorCount: Int? = nil
    public var simulatorRate: Double? = 200

    /// Bitcoin Core JSON-RPC URLs, in order of preference (failover); empty disables the Bitcoin adapter.
    /// A URL with `user:password@` uses those credentials for that node instead of the shared ones.
    public var bitcoinRPCURLs: [String] = []
    public var bitcoinRPCUser: String? = nil
    public var bitcoinRPCPassword: String? = nil
    /// Bitcoin Core's `.cookie` file, used when no user is set.
    public var bitcoinRPCCookieFile: String? = nil
    /// `mainnet`, `testnet`, `testnet4`, `signet` or `regtest`.
    public var bitcoinNetwork: String = "mainnet"
    public var bitcoinStartHeight: UInt64 = 0
    public var bitcoinConfirmations: UInt64 = 1
    public var bitcoinPollSeconds: Double = 2
    /// The node's `-zmqpubhashblock` endpoint (`tcp://host:port`): new blocks are fetched at once.
    public var bitcoinZMQBlock: String? = nil

    /// Ethereum JSON-RPC (HTTP) URLs, in order of preference (failover); empty disables the Ethereum adapter.
    public var ethereumRPCURLs: [String] = []
    /// The node's WebSocket endpoint for `eth_subscribe("newHeads")`; without it the adapter polls.
    public var ethereumWebSocketURL: String? = nil
    /// The chain the nodes must be on (`eth_chainId`: 1 mainnet); unset accepts any.
    public var ethereumChainID: UInt64? = nil
    public var ethereumStartHeight: UInt64 = 0
    public var ethereumConfirmations: UInt64 = 1
    public var ethereumPollSeconds: Double = 2

    /// The audit trail's checkpoint origin line and signing key name.
    public var auditOrigin: String = Self.defaultAuditOrigin
    public static let defaultAuditOrigin = "csic.local/audit"
    /// A second directory (another disk) that receives a byte-identical copy of the audit segments and checkpoints.
    public var auditMirrorDirectory: String? = nil
    /// A checkpoint is signed every this many entries, or every `auditCheckpointSeconds`, whichever comes first.
    public var auditCheckpointEvery: UInt64 = 10_000
    public var auditCheckpointSeconds: Double = 10

    /// How long each record class is kept (seven years by default; the audit trail permanently).
    public var retention = RecordRetention()
    /// Expired records are purged this often (and once at start), except those under a legal hold.
    public var retentionCheckHours: Double = 24

    public init() {}

    /// Checks the values that flags and files can get wrong.
    public func validate() throws(ValidationError) {
        try Check.nonEmpty(dataDirectory, "data_dir")
        guard (0...65535).contains(httpPort) else { throw ValidationError(.outOfRange, field: "http.port", "\(httpPort) is not a port") }
        guard (0...65535).contains(grpcPort) else { throw ValidationError(.outOfRange, field: "grpc.port", "\(grpcPort) is not a port") }
        guard (1...1024).contains(logPartitions) else { throw ValidationError(.outOfRange, field: "log.partitions", "must be 1...1024") }
        guard logFsync == "every_batch" || logFsync == "never" || (Int(logFsync).map { $0 > 0 } ?? false) else {
            throw ValidationError(.malformed, field: "log.fsync", "must be every_batch, never or milliseconds")
        }
        guard logSegmentBytes >= 1 << 16 else { throw ValidationError(.outOfRange, field: "log.segment_bytes", "must be at least 65536") }
        guard logRetentionDays > 0 else { throw ValidationError(.outOfRange, field: "log.retention_days", "must be positive") }
        guard storeDurability == "full" || storeDurability == "normal" else {
            throw ValidationError(.malformed, field: "store.durability", "must be full or normal")
        }
        if let simulatorCount, simulatorCount < 0 { throw ValidationError(.outOfRange, field: "simulator.count", "must not be negative") }
        if let simulatorRate, !(simulatorRate > 0) { throw ValidationError(.outOfRange, field: "simulator.rate", "must be positive") }
        guard !roles.isEmpty else { throw ValidationError(.missing, field: "roles", "at least one role") }
        if !bitcoinRPCURLs.isEmpty {
            guard ["mainnet", "testnet", "testnet4", "signet", "regtest"].contains(bitcoinNetwork) else {
                throw ValidationError(.malformed, field: "bitcoin.network", "unknown network \(bitcoinNetwork)")
            }
            let nodes = bitcoinRPCURLs.map(NodeURL.init)
            if let bad = nodes.firstIndex(of: nil) {
                throw ValidationError(.malformed, field: "bitcoin.rpc_urls", "not an http(s) URL: \(NodeURL.redacted(bitcoinRPCURLs[bad]))")
            }
            guard bitcoinRPCUser != nil || bitcoinRPCCookieFile != nil || nodes.allSatisfy({ $0?.user != nil }) else {
                throw ValidationError(.missing, field: "bitcoin.rpc_user", "set rpc_user and rpc_password, rpc_cookie_file, or user:password@ in every URL")
            }
            guard bitcoinConfirmations >= 1 else { throw ValidationError(.outOfRange, field: "bitcoin.confirmations", "must be at least 1") }
            guard bitcoinPollSeconds > 0 else { throw ValidationError(.outOfRange, field: "bitcoin.poll_seconds", "must be positive") }
            if let endpoint = bitcoinZMQBlock, !endpoint.hasPrefix("tcp://") || endpoint.split(separator: ":").last.flatMap({ Int($0) }) == nil {
                throw ValidationError(.malformed, field: "bitcoin.zmq_block", "must be tcp://host:port, got \(endpoint)")
            }
        }
        guard !auditOrigin.isEmpty, !auditOrigin.contains("+"), !auditOrigin.contains(where: \.isWhitespace) else {
            throw ValidationError(.malformed, field: "audit.origin", "must be non-empty without '+' or spaces")
        }
        guard auditCheckpointEvery >= 1 else { throw ValidationError(.outOfRange, field: "audit.checkpoint_every", "must be at least 1") }
        guard auditCheckpointSeconds > 0 else { throw ValidationError(.outOfRange, field: "audit.checkpoint_seconds", "must be positive") }
        guard retentionCheckHours > 0 else { throw ValidationError(.outOfRange, field: "retention.check_hours", "must be positive") }
        if !ethereumRPCURLs.isEmpty {
            if let bad = ethereumRPCURLs.first(where: { NodeURL($0) == nil || $0.hasPrefix("ws") }) {
                throw ValidationError(.malformed, field: "ethereum.rpc_urls", "not an http(s) URL: \(NodeURL.redacted(bad))")
            }
            if let url = ethereumWebSocketURL, !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) || NodeURL(url) == nil {
                throw ValidationError(.malformed, field: "ethereum.ws_url", "must be ws://host:port or wss://..., got \(NodeURL.redacted(url))")
            }
            guard ethereumConfirmations >= 1 else { throw ValidationError(.outOfRange, field: "ethereum.confirmations", "must be at least 1") }
            guard ethereumPollSeconds > 0 else { throw ValidationError(.outOfRange, field: "ethereum.poll_seconds", "must be positive") }
        }
    }
}
